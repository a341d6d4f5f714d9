package main

import (
	"runtime/debug"
	"testing"
)

// TestBuildVersion: flags set at link time win; without them a binary
// reports the module version and revision go build or go install recorded.
func TestBuildVersion(t *testing.T) {
	stamped := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/kycgate/kycgate", Version: "v0.0.0-20261202152958-6faa20c2638f"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "6faa20c2638fd7025227a73f59ef36783db3c0a2"},
			{Key: "vcs.modified", Value: "false"},
		},
	}
	dirty := &debug.BuildInfo{
		Main:     debug.Module{Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "6faa20c2638fd7025227a73f59ef36783db3c0a2"}, {Key: "vcs.modified", Value: "true"}},
	}
	tests := []struct {
		name            string
		version, commit string
		info            *debug.BuildInfo
		wantV, wantC    string
	}{
		{"link flags", "v1.2.0", "abc123", stamped, "v1.2.0", "abc123"},
		{"go install from a checkout", "dev", "", stamped, "v0.0.0-20261202152958-6faa20c2638f", "6faa20c2638f"},
		{"go install pkg@version", "dev", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0"}}, "v1.3.0", "unknown"},
		{"uncommitted changes", "dev", "", dirty, "dev", "6faa20c2638f-dirty"},
		{"no build information", "dev", "", nil, "dev", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, c := buildVersion(tt.version, tt.commit, tt.info)
			if v != tt.wantV || c != tt.wantC {
				t.Errorf("buildVersion = %q, %q; want %q, %q", v, c, tt.wantV, tt.wantC)
			}
		})
	}
}
