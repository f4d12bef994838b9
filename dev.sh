#!/usr/bin/env bash
# Developer entry point for Debian/Ubuntu (run as root, or as a user with sudo).
#   ./dev.sh test      install what is missing, then run every test (this is what CI runs)
#   ./dev.sh sandbox   install what is missing, then serve the simulated tenant
#   ./dev.sh deps      only install what is missing
set -euo pipefail
cd "$(dirname "$0")"

# System packages the build and the tests need: cgo (gcc), Fyne's OpenGL and X11
# headers, and Xvfb for the window tests.
PACKAGES=(gcc libgl1-mesa-dev xorg-dev)

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

case "${1:-}" in
deps)
	deps
	;;
test)
	deps
	# Race detector on everything; the sandbox and Graph tests drive the real MSAL Go and msgraph-sdk-go.
	go test -race -count=1 ./...
	;;
sandbox)
	deps
	shift
	go run ./cmd/m365wizard sandbox "$@"
	;;
*)
	sed -n '2,6p' "$0" >&2
	exit 2
	;;
esac
