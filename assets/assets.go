// Package assets holds the files the app ships inside its binary: the icon now,
// the integration profiles (data) as they are added.
package assets

import _ "embed"

// Icon is the application icon (512×512 PNG), also named in FyneApp.toml.
//
//go:embed icon.png
var Icon []byte
