package verify

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

const areaWeb = "webserver"

// listingPaths must never answer 200: a listing would hand every node's
// ignition (and its secrets) to anyone who asks.
var listingPaths = []string{"/", "/ignition/", "/install/"}

func (w *WebInput) check(ctx context.Context) []Result {
	client := &http.Client{Timeout: 2 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	return []Result{w.ignition(ctx, client), w.listing(ctx, client)}
}

func (w *WebInput) ignition(ctx context.Context, client *http.Client) Result {
	r := Result{Area: areaWeb, Check: fmt.Sprintf("ignition of every node (%d) is the bytes its boot line's hash names", len(w.Ignition)), Required: true}
	var mu sync.Mutex
	var bad, pending []string
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, f := range w.Ignition {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			problem, notYet := w.one(ctx, client, f)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case notYet:
				pending = append(pending, f.Node)
			case problem != "":
				bad = append(bad, problem)
			}
		}()
	}
	wg.Wait()
	switch {
	case len(bad) > 0:
		r.Status, r.Detail = Fail, strings.Join(firstN(bad, 3), "; ")
		r.Fix = "serve each node's current ignition at its URL (okdctl apply --only http), or print the boot lines again (okdctl boot) if the ignition was regenerated"
	case len(pending) > 0:
		r.Status, r.Detail, r.Fix = NotYet, "no ignition yet for "+strings.Join(firstN(pending, 3), ", "), "okdctl apply creates it (ignition phase)"
	default:
		r.Status, r.Detail = Pass, fmt.Sprintf("%d files match", len(w.Ignition))
	}
	return r
}

// one fetches one node's ignition; notYet when the hash is not known yet.
func (w *WebInput) one(ctx context.Context, client *http.Client, f IgnitionFile) (problem string, notYet bool) {
	sum, status, err := fetchSHA512(ctx, client, f.URL)
	switch {
	case err != nil:
		return fmt.Sprintf("%s: %v", f.URL, err), false
	case f.Gone && status < 300:
		return fmt.Sprintf("%s still answers %d after bootstrap", f.URL, status), false
	case f.Gone:
		return "", false
	case f.SHA512 == "":
		return "", true
	case status != http.StatusOK:
		return fmt.Sprintf("%s answers %d", f.URL, status), false
	case "sha512-"+sum != f.SHA512:
		return fmt.Sprintf("%s serves sha512-%s…, the boot line says %s…", f.URL, sum[:12], f.SHA512[:min(len(f.SHA512), 19)]), false
	}
	return "", false
}

func (w *WebInput) listing(ctx context.Context, client *http.Client) Result {
	r := Result{Area: areaWeb, Check: "no directory listing at " + w.BaseURL, Required: true}
	var bad []string
	for _, p := range listingPaths {
		_, status, err := fetchSHA512(ctx, client, strings.TrimSuffix(w.BaseURL, "/")+p)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", p, err))
		} else if status < 300 {
			bad = append(bad, fmt.Sprintf("%s answers %d", p, status))
		}
	}
	if len(bad) > 0 {
		r.Status, r.Detail = Fail, strings.Join(bad, "; ")
		r.Fix = "turn directory listings off (nginx: autoindex off) and serve only the ignition and install trees"
		return r
	}
	r.Status, r.Detail = Pass, "listings refused"
	return r
}

func fetchSHA512(ctx context.Context, client *http.Client, url string) (string, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	h := sha512.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), resp.StatusCode, nil
}
