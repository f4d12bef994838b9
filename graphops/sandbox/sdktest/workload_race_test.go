//go:build race

package sdktest

// raceSlowdown scales timing limits: the race detector slows the server 3–10×.
const raceSlowdown = 3
