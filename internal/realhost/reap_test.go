package realhost

// every process a test starts dies with the test binary, however it ends
import _ "github.com/okdctl/okdctl/internal/testenv/reap"
