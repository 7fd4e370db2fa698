package registry

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// HtpasswdCost is the bcrypt cost of the htpasswd entry. The registry checks
// the hash on every request (a mirror makes thousands), and the password is
// 130 random bits that no dictionary holds, so the cost of `htpasswd -B`
// (5) protects it as well as a higher one and keeps the registry fast.
const HtpasswdCost = 5

// NewPassword generates a registry password: 26 characters of base32 from
// crypto/rand (130 bits), safe in URLs, shells and basic auth.
func NewPassword() string {
	return rand.Text()
}

// ValidPassword reports whether a kept password can still be used.
func ValidPassword(p string) error {
	switch {
	case len(p) < 16:
		return errors.New("the kept registry password is shorter than 16 characters")
	case strings.ContainsAny(p, ": \t\r\n"):
		return errors.New("the kept registry password contains a colon or white space")
	}
	return nil
}

// Htpasswd renders an htpasswd file with one bcrypt entry for user.
func Htpasswd(user, password string) ([]byte, error) {
	if user == "" || strings.ContainsAny(user, ": \t\r\n") {
		return nil, fmt.Errorf("failed to write htpasswd: the user name %q is empty or holds a colon or white space", user)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), HtpasswdCost)
	if err != nil {
		return nil, fmt.Errorf("failed to hash the registry password: %w", err)
	}
	return []byte(user + ":" + string(hash) + "\n"), nil
}

// HtpasswdMatches reports whether an htpasswd file holds exactly one entry,
// for user, whose bcrypt hash matches password (so it need not be rewritten).
func HtpasswdMatches(data []byte, user, password string) bool {
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	if len(lines) != 1 {
		return false
	}
	u, hash, ok := bytes.Cut(lines[0], []byte(":"))
	if !ok || string(u) != user {
		return false
	}
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}
