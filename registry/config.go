package registry

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Config is what the distribution registry's configuration says.
type Config struct {
	// Addr is ip:port the registry listens on.
	Addr         string
	CertFile     string
	KeyFile      string
	HtpasswdFile string
	// DataDir holds the images.
	DataDir string
}

// The distribution registry's configuration (version 0.1), as much of it as okdctl sets.
type distConfig struct {
	Version string      `yaml:"version"`
	Log     distLog     `yaml:"log"`
	Storage distStorage `yaml:"storage"`
	HTTP    distHTTP    `yaml:"http"`
	Auth    distAuth    `yaml:"auth"`
}

type distLog struct {
	Level     string            `yaml:"level"`
	Formatter string            `yaml:"formatter"`
	Fields    map[string]string `yaml:"fields"`
	AccessLog struct {
		Disabled bool `yaml:"disabled"`
	} `yaml:"accesslog"`
}

type distStorage struct {
	Filesystem struct {
		RootDirectory string `yaml:"rootdirectory"`
	} `yaml:"filesystem"`
	Delete struct {
		Enabled bool `yaml:"enabled"`
	} `yaml:"delete"`
	Maintenance struct {
		UploadPurging struct {
			Enabled  bool   `yaml:"enabled"`
			Age      string `yaml:"age"`
			Interval string `yaml:"interval"`
			DryRun   bool   `yaml:"dryrun"`
		} `yaml:"uploadpurging"`
	} `yaml:"maintenance"`
}

type distHTTP struct {
	Addr    string              `yaml:"addr"`
	TLS     distTLS             `yaml:"tls"`
	Headers map[string][]string `yaml:"headers"`
}

type distTLS struct {
	Certificate string `yaml:"certificate"`
	Key         string `yaml:"key"`
	MinimumTLS  string `yaml:"minimumtls"`
}

type distAuth struct {
	Htpasswd struct {
		Realm string `yaml:"realm"`
		Path  string `yaml:"path"`
	} `yaml:"htpasswd"`
}

// RenderConfig renders the registry's config.yml: TLS with okdctl's
// certificate, htpasswd auth, filesystem storage, no deletes, and stale
// uploads (left by an interrupted mirror) purged after a week.
func RenderConfig(c Config) ([]byte, error) {
	if c.Addr == "" || c.CertFile == "" || c.KeyFile == "" || c.HtpasswdFile == "" || c.DataDir == "" {
		return nil, fmt.Errorf("failed to render the registry configuration: address, certificate, key, htpasswd and data directory are all needed")
	}
	d := distConfig{Version: "0.1"}
	d.Log.Level = "info"
	d.Log.Formatter = "text"
	d.Log.Fields = map[string]string{"service": "okdctl-registry"}
	d.Storage.Filesystem.RootDirectory = c.DataDir
	d.Storage.Maintenance.UploadPurging.Enabled = true
	d.Storage.Maintenance.UploadPurging.Age = "168h"
	d.Storage.Maintenance.UploadPurging.Interval = "24h"
	d.HTTP.Addr = c.Addr
	d.HTTP.TLS = distTLS{Certificate: c.CertFile, Key: c.KeyFile, MinimumTLS: "tls1.2"}
	d.HTTP.Headers = map[string][]string{"X-Content-Type-Options": {"nosniff"}}
	d.Auth.Htpasswd.Realm = "okdctl-registry"
	d.Auth.Htpasswd.Path = c.HtpasswdFile
	var b bytes.Buffer
	b.WriteString("# Written by okdctl; changes are overwritten on the next apply.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("failed to render the registry configuration: %w", err)
	}
	return b.Bytes(), nil
}
