package haproxy

import (
	"reflect"
	"testing"
)

func TestParseProc(t *testing.T) {
	t.Parallel()
	out := `#<PID>          <type>          <reloads>       <uptime>        <version>
16595           master          1 [failed: 1]   0d00h10m19s     2.6.12-1+deb12u4
# workers
16606           worker          1               0d00h10m19s     2.6.12-1+deb12u4
# old workers
16500           worker          3               0d00h00m00s     2.6.12-1+deb12u4
# programs

`
	got, err := parseProc(out)
	want := &procStatus{MasterPID: 16595, Reloads: 1, Failed: 1, Workers: []int{16606}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("parseProc = %+v, %v; want %+v", got, err, want)
	}
	if _, err := parseProc("Unknown command\n"); err == nil {
		t.Fatal("parseProc accepted an answer without a master line")
	}
}
