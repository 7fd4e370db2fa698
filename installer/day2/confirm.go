package day2

import (
	"errors"
	"fmt"
)

// Confirm asks a person to confirm a destructive action described by
// summary; cmd asks on a terminal. Nil means there is no one to ask.
type Confirm func(summary string) (bool, error)

// confirmed gates a destructive action: --yes, or a person's yes.
func confirmed(yes bool, ask Confirm, what, summary string) error {
	if yes {
		return nil
	}
	if ask == nil {
		return fmt.Errorf("refusing to %s without confirmation: read what it does, then pass --yes\n%s", what, summary)
	}
	ok, err := ask(summary)
	if err != nil {
		return fmt.Errorf("failed to ask for confirmation: %w", err)
	}
	if !ok {
		return errors.New("not confirmed: nothing was changed")
	}
	return nil
}
