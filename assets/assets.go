// Package assets holds the files the app ships inside its binary: the icon and
// the integration profiles (data; read them through package wizard/profile).
package assets

import (
	"embed"
	_ "embed"
)

// Icon is the application icon (512×512 PNG), also named in FyneApp.toml.
//
//go:embed icon.png
var Icon []byte

// Profiles holds the built-in integration profiles as profiles/<key>.json.
// The format is described in docs/profiles.md.
//
//go:embed profiles/*.json
var Profiles embed.FS
