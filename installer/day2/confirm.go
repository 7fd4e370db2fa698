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
		// the first line stands alone (it is the ERROR line); what the
		// step would do follows it, as the line announces
		return fmt.Errorf("refusing to %s without confirmation: nothing was changed; there is no terminal to ask on, so pass --yes once you have read what it would do:\n%s", what, summary)
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
