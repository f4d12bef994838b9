package ui

// startDemo is filled in by the screenshot walk-through (docs/ui.md).
var startDemo = func(*Window) {}
