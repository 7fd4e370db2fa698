package verify

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/okdctl/okdctl/webserver"
)

const areaWeb = "webserver"

// check is the web server's checks, built on webserver.Verifier: the http
// phase's result check is the same (one implementation).
func (w *WebInput) check(ctx context.Context) []Result {
	v := &webserver.Verifier{BaseURL: strings.TrimSuffix(w.BaseURL, "/"), Client: &http.Client{Timeout: 2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	return []Result{w.ignition(ctx, v), w.listing(ctx, v)}
}

// Check runs the web server's checks alone (the http phase's result check).
func (w *WebInput) Check(ctx context.Context) []Result { return w.check(ctx) }

func (w *WebInput) ignition(ctx context.Context, v *webserver.Verifier) Result {
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
			problem, notYet := w.one(ctx, v, f)
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
func (w *WebInput) one(ctx context.Context, v *webserver.Verifier, f IgnitionFile) (problem string, notYet bool) {
	sum, status, err := v.Fetch(ctx, f.URL)
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

// listing: no directory listing, and nothing but the published files
// (webserver.Refused: listings, traversal, the install directory's secrets).
func (w *WebInput) listing(ctx context.Context, v *webserver.Verifier) Result {
	r := Result{Area: areaWeb, Check: "no directory listing at " + w.BaseURL, Required: true}
	if err := v.Refusals(ctx, webserver.Refused); err != nil {
		r.Status, r.Detail = Fail, oneLine(err.Error())
		r.Fix = "turn directory listings off (nginx: autoindex off) and serve only the ignition and install trees"
		return r
	}
	r.Status, r.Detail = Pass, "listings and other paths refused"
	return r
}
