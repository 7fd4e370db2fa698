// Package golden compares test output with golden files under testdata.
// Running a package's tests with -update rewrites those files instead.
package golden
