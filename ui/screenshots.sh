#!/bin/sh
# Takes docs/screenshots/NN-*.png from the real window under Xvfb: the window
# walks the flows by itself (M365WIZARD_UI_DEMO, see ui/demo.go) against the
# built-in sandbox, and asks for each screenshot through a file.
# Needs Xvfb, xdotool and ImageMagick's import. Usage: ui/screenshots.sh [dark]
set -eu
cd "$(dirname "$0")/.."
out=docs/screenshots
suffix=""
if [ "${1:-}" = dark ]; then export FYNE_THEME=dark; suffix="-dark"; else export FYNE_THEME=light; fi
work=$(mktemp -d)
go build -o "$work/m365wizard" ./cmd/m365wizard
# A browser that "opens" and shows nothing: the walk-through then presses
# "No browser? Sign in as admin@contoso.com".
mkdir "$work/bin" && printf '#!/bin/sh\nexit 0\n' > "$work/bin/xdg-open" && chmod +x "$work/bin/xdg-open"
display=:$((90 + $$ % 9))
Xvfb "$display" -screen 0 1280x860x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
export DISPLAY="$display" LANG=en_US.UTF-8
PATH="$work/bin:$PATH" M365WIZARD_CONFIG_DIR="$work/config" M365WIZARD_KEYRING_SERVICE=m365wizard-screenshots \
	M365WIZARD_UI_DEMO="$work" "$work/m365wizard" --sandbox &
app=$!
while kill -0 "$app" 2>/dev/null; do
	if [ -f "$work/request" ]; then
		name=$(cat "$work/request")
		id=$(xdotool search --limit 1 --name "M365 Setup Wizard")
		import -window "$id" -define png:compression-level=9 "$out/$name$suffix.png"
		echo "$out/$name$suffix.png"
		rm "$work/request"
	fi
	sleep 0.2
done
wait "$app"
if [ -n "$suffix" ]; then
	# Dark: a few screens are enough to show the theme.
	for f in "$out"/*-dark.png; do
		case "$f" in
		*/01-welcome-dark.png|*/06-api-permissions-dark.png|*/11-mailbox-access-dark.png|*/10-client-secret-value-dark.png|*/14-test-settings-passed-dark.png|*/17-welcome-expired-dark.png) ;;
		*) rm -f "$f" ;;
		esac
	done
fi
