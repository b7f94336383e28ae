package handlers_test

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// zbar decodes a QR code image with zbarimg (apt-get install zbar-tools).
func zbar(t *testing.T, pngData []byte) string {
	t.Helper()
	bin, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("zbarimg is not installed; .ci/run should have installed it (apt-get install zbar-tools)")
		}
		t.Skip("zbarimg is not installed: apt-get install zbar-tools")
	}
	file := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(file, pngData, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", file).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v (%s)", err, out)
	}
	return strings.TrimSpace(string(out))
}

// svgToPNG draws the app's QR SVG (one path of 1x1 modules) as a PNG, 8
// pixels a module, so the SVG itself is what gets decoded.
func svgToPNG(t *testing.T, svg string) []byte {
	t.Helper()
	box := regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`).FindStringSubmatch(svg)
	if box == nil {
		t.Fatalf("no viewBox in %.200s", svg)
	}
	n, _ := strconv.Atoi(box[1])
	const scale = 8
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	modules := regexp.MustCompile(`M(\d+) (\d+)h1v1h-1z`).FindAllStringSubmatch(svg, -1)
	if len(modules) < 100 {
		t.Fatalf("%d modules in the SVG", len(modules))
	}
	for _, m := range modules {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		for dy := 0; dy < scale; dy++ {
			for dx := 0; dx < scale; dx++ {
				img.Pix[(y*scale+dy)*img.Stride+x*scale+dx] = 0
			}
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// The QR codes of the personal link and of a request link, in SVG, in PNG
// and on the printable card, carry the links; nobody else's are served.
func TestPayLinkQRCodesDecode(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	sam := samWithHandle(t, app)
	wantStatus(t, "request", sam.post("/money/requests", url.Values{"amount": {"12,50"}, "note": {"Pizza"}}), http.StatusSeeOther)
	page := sam.get("/money")
	req := regexp.MustCompile(`(http://divvy\.test/r/[A-Za-z0-9_-]+)`).FindString(page.body)
	id := regexp.MustCompile(`data-status="open" data-id="(\d+)"`).FindStringSubmatch(page.body)
	if req == "" || id == nil {
		t.Fatalf("no request link on the Money page")
	}
	for _, c := range []struct{ base, want string }{
		{"/money/link/qr", "http://divvy.test/to/Sam.Martin"},
		{"/money/requests/" + id[1] + "/qr", req},
	} {
		svg := sam.get(c.base + ".svg")
		wantStatus(t, c.base+".svg", svg, http.StatusOK)
		if ct := svg.header.Get("Content-Type"); ct != "image/svg+xml" {
			t.Errorf("%s.svg: Content-Type %q", c.base, ct)
		}
		if got := zbar(t, svgToPNG(t, svg.body)); got != c.want {
			t.Errorf("%s.svg decodes to %q, want %q", c.base, got, c.want)
		}
		pngRes := sam.get(c.base + ".png")
		wantStatus(t, c.base+".png", pngRes, http.StatusOK)
		if ct := pngRes.header.Get("Content-Type"); ct != "image/png" {
			t.Errorf("%s.png: Content-Type %q", c.base, ct)
		}
		if got := zbar(t, []byte(pngRes.body)); got != c.want {
			t.Errorf("%s.png decodes to %q, want %q", c.base, got, c.want)
		}
	}
	public := app.client().get("/to/Sam.Martin/qr.png")
	wantStatus(t, "the link preview's image", public, http.StatusOK)
	if got := zbar(t, []byte(public.body)); got != "http://divvy.test/to/Sam.Martin" {
		t.Errorf("the preview image decodes to %q", got)
	}
	card := sam.get("/money/requests/" + id[1] + "/card")
	wantStatus(t, "card", card, http.StatusOK)
	wantBody(t, "card", card, `data-testid="print-card"`, "€12.50", "Pizza", req, `src="/money/requests/`+id[1]+`/qr.svg"`)
	wantBody(t, "personal card", sam.get("/money/link/card"), `data-testid="print-card"`, "Pay Sam Martin", "http://divvy.test/to/Sam.Martin")

	lea := app.client()
	lea.signup("Léa", "lea@example.com", "correct horse")
	wantStatus(t, "someone else's request QR", lea.get("/money/requests/"+id[1]+"/qr.png"), http.StatusNotFound)
	wantStatus(t, "someone else's card", lea.get("/money/requests/"+id[1]+"/card"), http.StatusNotFound)
	wantStatus(t, "no handle, no QR", lea.get("/money/link/qr.svg"), http.StatusNotFound)
}
