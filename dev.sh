#!/usr/bin/env bash
# Developer entry point for Debian/Ubuntu (run as root, or as a user with sudo).
#   ./dev.sh test      install what is missing, then run every test (this is what CI runs)
#   ./dev.sh sandbox   install what is missing, then open the wizard window on the simulated tenant
#   ./dev.sh tenant    install what is missing, then serve the simulated tenant for the command line
#   ./dev.sh deps      only install what is missing
#   ./dev.sh keyring   only the keychain tests against a throwaway GNOME Keyring (part of test)
#   ./dev.sh windows   the Windows build: cross-compiled, packaged, signed, run under Wine (docs/windows.md)
set -euo pipefail
cd "$(dirname "$0")"

# System packages the build and the tests need: cgo (gcc), Fyne's OpenGL and X11
# headers, and Xvfb for the window tests; GNOME Keyring and D-Bus (dbus-run-session)
# for the keychain tests of wizard/store.
PACKAGES=(gcc libgl1-mesa-dev xorg-dev gnome-keyring dbus)

deps() {
	local missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
		# Debian's Go is older than go.mod asks for; the go command then fetches the
		# right toolchain through the module proxy by itself (GOTOOLCHAIN=auto).
		missing+=(golang-go)
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		echo "Installing missing system packages: ${missing[*]}" >&2
		local sudo=""
		[ "$(id -u)" -eq 0 ] || sudo="sudo"
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
	fi
	export PATH="$PATH:/usr/local/go/bin"
	go mod download
}

# keyring_tests runs wizard/store's real-keychain tests against a GNOME Keyring of
# their own: a throwaway D-Bus session bus (dbus-run-session) and a login keyring
# created and unlocked with a random password, in temporary HOME and XDG_RUNTIME_DIR,
# so the tests never touch the user's own keyring. A failure fails the script.
keyring_tests() {
	local tmp
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064 # expand now: $tmp is local
	trap "rm -rf '$tmp'" EXIT
	mkdir -m 700 "$tmp/home" "$tmp/runtime"
	# HOME moves, so keep Go's module cache, build cache and settings where they are.
	local v
	for v in GOPATH GOMODCACHE GOCACHE GOENV; do
		export "$v=$(go env "$v")"
	done
	echo "== keychain tests (wizard/store, the flows end to end, the CLI end to end) against a throwaway GNOME Keyring"
	env -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u XDG_CACHE_HOME -u GNOME_KEYRING_CONTROL -u DBUS_SESSION_BUS_ADDRESS \
		HOME="$tmp/home" XDG_RUNTIME_DIR="$tmp/runtime" KEYRING_LOG="$tmp/test.log" M365WIZARD_E2E_BIN="$tmp/m365wizard" \
		M365WIZARD_REAL_KEYRING=1 M365WIZARD_REAL_KEYRING_PASSWORD="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" \
		dbus-run-session -- bash -euo pipefail -c '
			printf %s "$M365WIZARD_REAL_KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
			# The CLI end to end runs the built binary (with -race, which reuses the
			# race build of the tests: msgraph-sdk-go is not compiled a second time).
			go build -race -o "$M365WIZARD_E2E_BIN" ./cmd/m365wizard
			go test -race -count=1 -v -run Real ./wizard/store/ ./wizard/ ./cmd/m365wizard/ 2>&1 | tee "$KEYRING_LOG"
			# A run in which the tests skipped or were filtered away proves nothing.
			for t in TestRealRoundTrip TestRealCertificate TestRealLockedKeychain TestRealKeychainEndToEnd TestRealCLIEndToEnd; do
				grep -q -- "--- PASS: $t " "$KEYRING_LOG" || { echo "keychain test $t did not pass" >&2; exit 1; }
			done'
}

case "${1:-}" in
deps)
	deps
	;;
test)
	deps
	# Race detector on everything; the sandbox and Graph tests drive the real MSAL Go and msgraph-sdk-go.
	go test -race -count=1 ./...
	keyring_tests
	;;
keyring)
	deps
	keyring_tests
	;;
sandbox)
	deps
	shift
	if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
		echo "No desktop session here (DISPLAY is not set): the wizard window needs one." >&2
		echo "Run ./dev.sh sandbox from a terminal on your desktop, or ./dev.sh tenant to serve the" >&2
		echo "simulated tenant for the command line." >&2
		exit 2
	fi
	go build -o "${TMPDIR:-/tmp}/m365wizard" ./cmd/m365wizard
	exec "${TMPDIR:-/tmp}/m365wizard" --sandbox "$@"
	;;
tenant)
	deps
	shift
	go run ./cmd/m365wizard sandbox "$@"
	;;
windows)
	# The Windows build: cross-compiled, packaged, signed, and run under Wine (docs/windows.md).
	shift
	exec .ci/windows.sh "$@"
	;;
*)
	sed -n '2,8p' "$0" >&2
	exit 2
	;;
esac
