package registry

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// PullSecret merges the mirror's credentials into a user's pull secret
// (`{"auths":{...}}`, may be empty) under every host given (host:port).
// Other entries and fields of the user's file are kept. Errors never quote
// the secret.
func PullSecret(user []byte, hosts []string, username, password string) ([]byte, error) {
	top := map[string]json.RawMessage{}
	if len(strings.TrimSpace(string(user))) > 0 {
		if err := json.Unmarshal(user, &top); err != nil {
			return nil, errors.New("failed to read the pull secret: it is not a JSON object; download it again")
		}
	}
	auths := map[string]json.RawMessage{}
	if raw, ok := top["auths"]; ok {
		if err := json.Unmarshal(raw, &auths); err != nil {
			return nil, errors.New(`failed to read the pull secret: "auths" is not an object of registries`)
		}
	}
	entry, _ := json.Marshal(map[string]string{
		"auth": base64.StdEncoding.EncodeToString([]byte(username + ":" + password)),
	})
	for _, h := range hosts {
		auths[h] = entry
	}
	raw, _ := json.Marshal(auths)
	top["auths"] = raw
	out, err := json.Marshal(top)
	if err != nil {
		return nil, fmt.Errorf("failed to encode the pull secret: %w", err)
	}
	return append(out, '\n'), nil
}

// Credentials finds the user name and password for host in a pull secret.
func Credentials(pullSecret []byte, host string) (user, password string, ok bool) {
	var ps struct {
		Auths map[string]struct {
			Auth     string `json:"auth"`
			Username string `json:"username"`
			Password string `json:"password"`
		} `json:"auths"`
	}
	if json.Unmarshal(pullSecret, &ps) != nil {
		return "", "", false
	}
	for _, key := range []string{host, "https://" + host, "http://" + host} {
		a, found := ps.Auths[key]
		if !found {
			continue
		}
		if a.Username != "" {
			return a.Username, a.Password, true
		}
		dec, err := base64.StdEncoding.DecodeString(a.Auth)
		if err != nil {
			return "", "", false
		}
		user, password, ok = strings.Cut(string(dec), ":")
		return user, password, ok
	}
	return "", "", false
}
