// Package app is okdctl's command line: one cobra command per file, flags
// parsed here and handed to the installer. Errors are printed in exactly
// one place, Main.
package app
