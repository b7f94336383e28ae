package main

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"rsc.io/qr"
)

// writeY4M writes a Y4M video (the YUV4MPEG2 text header, then raw I420
// frames) of img centred on a white 640x480 picture, for Chromium's fake
// camera (--use-file-for-fake-video-capture).
func writeY4M(t *testing.T, path string, img image.Image) {
	t.Helper()
	const w, h = 640, 480
	b := img.Bounds()
	if b.Dx() > w || b.Dy() > h {
		t.Fatalf("image %v larger than the %dx%d frame", b, w, h)
	}
	x0, y0 := (w-b.Dx())/2, (h-b.Dy())/2
	luma := make([]byte, w*h)
	for i := range luma {
		luma[i] = 235 // white, in video range
	}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			g := color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
			luma[(y0+y)*w+x0+x] = byte(16 + int(g)*219/255)
		}
	}
	chroma := bytes.Repeat([]byte{128}, w/2*h/2) // no colour
	var out bytes.Buffer
	out.WriteString("YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
	for f := 0; f < 2; f++ {
		out.WriteString("FRAME\n")
		out.Write(luma)
		out.Write(chroma)
		out.Write(chroma)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeCamera are Chromium's flags for a camera that films the Y4M file
// and a permission prompt that says yes.
func fakeCamera(y4m string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", y4m),
	}
}

// qrImage is a QR code of text, 8 pixels a module with its quiet zone.
func qrImage(t *testing.T, text string) image.Image {
	t.Helper()
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(code.PNG()))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// TestBrowserScanRequestQR: Sam makes a request link on the Money page;
// the test films its QR code (the PNG the app serves, fetched in Sam's
// session) with a fake camera; Nina, signed out on a phone, taps Scan in
// the top bar, the camera reads the code and the app opens the request
// link, which she pays as a guest with her PIN.
func TestBrowserScanRequestQR(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	sam := &person{newBrowser(t, "desktop", 1280, 800), "Sam"}
	sam.signUp(base, "sam@example.com")
	sam.run("Sam opens payment setup", chromedp.Navigate(base+"/payments/setup?next=/money"))
	sam.fillSetupAndActivate(t, dbURL, "482913")
	var link, id, b64 string
	sam.run("Sam makes a request link",
		chromedp.WaitVisible(`[data-testid=request-form]`),
		chromedp.SendKeys(`[data-testid=request-form] #f-amount`, "8,40"),
		chromedp.SendKeys(`[data-testid=request-form] #f-note`, "Cinema"),
		chromedp.Click(`[data-testid=request-submit]`),
		chromedp.WaitVisible(`[data-testid=request-link]`),
		chromedp.Text(`[data-testid=request-link]`, &link),
		chromedp.AttributeValue(`[data-testid=request]`, "data-id", &id, nil))
	sam.run("Sam's QR code as a PNG", chromedp.Evaluate(`fetch("/money/requests/`+id+`/qr.png").then(function (r) { return r.arrayBuffer(); }).then(function (b) {
		var s = ""; new Uint8Array(b).forEach(function (c) { s += String.fromCharCode(c); }); return btoa(s); })`, &b64, awaitPromise))
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the app's QR PNG: %v", err)
	}
	if !strings.HasPrefix(link, base+"/r/") {
		t.Fatalf("request link %q", link)
	}
	video := filepath.Join(t.TempDir(), "request.y4m")
	writeY4M(t, video, img)

	nina := &person{newBrowserLang(t, "phone", 390, 844, "en-US,en", fakeCamera(video)...), "Nina"}
	var at string
	nina.run("Nina taps Scan and films the code",
		chromedp.Navigate(base+"/"),
		stillClick(`[data-testid=nav-scan]`),
		chromedp.WaitVisible(`[data-testid=paylink-form]`),
		chromedp.Location(&at))
	if at != link {
		t.Fatalf("the scanner opened %q, want the request link %q", at, link)
	}
	nina.shot("scanned-request")
	var amount string
	nina.run("read the request", chromedp.Text(`[data-testid=paylink-amount]`, &amount))
	if amount != "€8.40" {
		t.Fatalf("request page says %q", amount)
	}
	nina.run("Nina types her name", chromedp.SendKeys(`#f-name`, "Nina"), chromedp.Click(`[data-testid=paylink-continue]`))
	nina.fillSetupAndActivate(t, dbURL, "271828")
	nina.run("Nina pays", chromedp.WaitVisible(`[data-testid=paylink-pay]`), chromedp.SendKeys(`#f-pin`, "271828"),
		chromedp.Click(`[data-testid=paylink-pay]`), chromedp.WaitVisible(`[data-testid=paylink-done]`))
	// A guest's top bar is the fullest (the Scan icon, Money, Keep the
	// account, Log out), French the longest: still one line on a phone.
	for _, lang := range []string{"en", "fr"} {
		var barHeight float64
		nina.run("Nina's Money page, "+lang, chromedp.Navigate(base+"/money"), chromedp.WaitVisible(`[data-testid=money-scan]`))
		if lang == "fr" {
			nina.run("in French", stillClick(`[data-testid=locale-switcher] button[value=fr]`), chromedp.WaitVisible(`html[lang=fr]`))
		}
		nina.run("measure the bar", chromedp.Evaluate(`document.querySelector(".topbar").getBoundingClientRect().height`, &barHeight))
		if barHeight > 64 {
			t.Errorf("[%s] the top bar is %.0f px tall: it wraps", lang, barHeight)
		}
		nina.shot("money-" + lang)
	}
	var paid int
	queryRow(t, dbURL, `SELECT count(*) FROM request_links r JOIN users u ON u.id = r.paid_by WHERE u.display_name = 'Nina' AND r.amount = 8.40`, &paid)
	if paid != 1 {
		t.Fatalf("%d request links paid by Nina, want 1", paid)
	}
	auditClean(t, dbURL)
}

// TestBrowserScanForeignQR: a code for another site is read by the camera
// and shown as text, never opened nor made a link; without a camera the
// page says so and a photo is read instead (a same-site address that is
// not one of Divvy's links is shown too; an invite link in a photo opens).
func TestBrowserScanForeignQR(t *testing.T) {
	t.Parallel()
	base := startApp(t)
	evil := "https://evil.example/to/sam.martin?amount=5"
	video := filepath.Join(t.TempDir(), "evil.y4m")
	writeY4M(t, video, qrImage(t, evil))

	phone := newBrowserLang(t, "phone", 390, 844, "en-US,en", fakeCamera(video)...)
	var text, at string
	var links int
	phone.run("the camera reads another site's code",
		chromedp.Navigate(base+"/scan"),
		chromedp.WaitVisible(`[data-testid=scan-foreign]`),
		chromedp.Text(`[data-testid=scan-text]`, &text))
	if text != evil {
		t.Fatalf("shown %q, want %q", text, evil)
	}
	phone.run("and stays", chromedp.Sleep(1500*time.Millisecond), chromedp.Location(&at),
		chromedp.Evaluate(`document.querySelectorAll('a[href*="evil.example"], [src*="evil.example"]').length`, &links))
	if at != base+"/scan" || links != 0 {
		t.Fatalf("after a foreign code: at %q, %d links to it", at, links)
	}
	phone.shot("foreign")

	desk := newBrowser(t, "desktop", 1280, 800)
	var status string
	desk.run("no camera", chromedp.Navigate(base+"/scan"), chromedp.WaitVisible(`[data-testid=scan-photo]`),
		chromedp.Poll(`!/Starting|JavaScript/.test(document.querySelector("[data-testid=scan-status]").textContent)`, nil),
		chromedp.Text(`[data-testid=scan-status]`, &status))
	if !strings.Contains(status, "photo of the code") {
		t.Fatalf("without a camera the page says %q", status)
	}
	desk.shot("no-camera")
	dir := t.TempDir()
	save := func(name, text string) string {
		p := filepath.Join(dir, name)
		var b bytes.Buffer
		if err := png.Encode(&b, qrImage(t, text)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	inner := base + "/threads/1/leave"
	desk.run("a photo of a same-site address that is not a link",
		chromedp.SetUploadFiles(`#f-photo`, []string{save("inner.png", inner)}),
		chromedp.WaitVisible(`[data-testid=scan-foreign]`),
		chromedp.Text(`[data-testid=scan-text]`, &text), chromedp.Location(&at))
	if text != inner || at != base+"/scan" {
		t.Fatalf("photo of %q: shown %q, at %q", inner, text, at)
	}
	join := base + "/join/AAAAAAAAAAAAAAAAAAAAAA"
	desk.expectingErrors(true) // the invite is unknown: its page is a 404
	desk.run("a photo of an invite link opens it",
		chromedp.SetUploadFiles(`#f-photo`, []string{save("join.png", join)}),
		chromedp.WaitVisible(`[data-testid=error-message]`),
		chromedp.Location(&at))
	if at != join {
		t.Fatalf("photo of an invite: at %q", at)
	}
}
