// The Scan page: read QR codes with the camera (or from a photo) and open
// the ones that are Divvy's own links. Anything else is shown as text and
// never opened, nor made a link. Decoding uses the browser's
// BarcodeDetector where it reads QR codes, else the vendored jsQR (loaded
// only then).
(function () {
  "use strict";
  var root = document.getElementById("scanner");
  if (!root) return;
  var say = function (key) { return root.getAttribute("data-msg-" + key) || ""; };
  var status = root.querySelector("[data-testid=scan-status]");
  var finder = root.querySelector("[data-testid=scan-viewfinder]");
  var video = root.querySelector("video");
  var foreign = root.querySelector("[data-testid=scan-foreign]");
  var foreignText = root.querySelector("[data-testid=scan-text]");
  var photo = root.querySelector("[data-testid=scan-photo]");
  var origin;
  try {
    origin = new URL(root.getAttribute("data-base")).origin;
  } catch (e) {
    origin = window.location.origin;
  }
  var show = function (text) { status.textContent = text; };
  var cameraSays = ""; // what the status said of the camera, for after a photo

  // Divvy's links, by path: a personal pay link (its amount and note kept),
  // a request link, an invite, a split's pay link. Same origin as BASE_URL,
  // no user name or password in it.
  var token = "[A-Za-z0-9_-]{16,64}";
  var links = [
    { re: /^\/to\/[A-Za-z0-9][A-Za-z0-9.-]{1,28}[A-Za-z0-9]$/, query: true },
    { re: new RegExp("^/r/" + token + "$") },
    { re: new RegExp("^/join/" + token + "$") },
    { re: new RegExp("^/pay/" + token + "$") }
  ];
  var divvyPath = function (text) {
    var u;
    try {
      u = new URL(String(text).trim());
    } catch (e) {
      return null;
    }
    if (u.origin !== origin || u.username || u.password) return null;
    for (var i = 0; i < links.length; i++) {
      if (links[i].re.test(u.pathname)) return u.pathname + (links[i].query ? u.search : "");
    }
    return null;
  };

  var stream = null;
  var done = false;
  var stop = function () {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
  };
  var lastForeign = null;
  // found acts on a decoded text: opens a Divvy link, shows anything else.
  var found = function (text) {
    if (done || text == null || text === "") return false;
    var path = divvyPath(text);
    if (path) {
      done = true;
      stop();
      foreign.hidden = true;
      show(say("opening"));
      window.location.assign(path);
      return true;
    }
    if (text !== lastForeign) {
      lastForeign = text;
      foreignText.textContent = text;
      foreign.hidden = false;
    }
    return false;
  };

  // decoder resolves to a function (image source, width, height) -> a
  // promise of the text of a QR code in it, or null.
  var canvas = document.createElement("canvas");
  var decoder = (function () {
    var p = null;
    return function () {
      if (p) return p;
      var jsqr = function () {
        return new Promise(function (resolve, reject) {
          if (window.jsQR) return resolve(window.jsQR);
          var s = document.createElement("script");
          s.src = root.getAttribute("data-jsqr");
          s.onload = function () { window.jsQR ? resolve(window.jsQR) : reject(new Error("jsQR")); };
          s.onerror = function () { reject(new Error("jsQR")); };
          document.head.appendChild(s);
        }).then(function (read) {
          return function (src, w, h) {
            var scale = Math.min(1, 1024 / Math.max(w, h));
            canvas.width = Math.max(1, Math.round(w * scale));
            canvas.height = Math.max(1, Math.round(h * scale));
            var c = canvas.getContext("2d", { willReadFrequently: true });
            c.drawImage(src, 0, 0, canvas.width, canvas.height);
            var img = c.getImageData(0, 0, canvas.width, canvas.height);
            var code = read(img.data, img.width, img.height, { inversionAttempts: "attemptBoth" });
            return Promise.resolve(code ? code.data : null);
          };
        });
      };
      if (window.BarcodeDetector && window.BarcodeDetector.getSupportedFormats) {
        p = window.BarcodeDetector.getSupportedFormats().then(function (formats) {
          if (formats.indexOf("qr_code") < 0) return jsqr();
          var d = new window.BarcodeDetector({ formats: ["qr_code"] });
          return function (src) {
            return d.detect(src).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
          };
        }, jsqr);
      } else {
        p = jsqr();
      }
      return p;
    };
  })();

  // The camera: the rear one on phones; a frame read about 6 times a
  // second until a Divvy link is found.
  var scanFrames = function (read) {
    var tick = function () {
      if (done || !stream) return;
      cameraSays = say("looking");
      if (video.readyState < 2 || !video.videoWidth) return setTimeout(tick, 150);
      read(video, video.videoWidth, video.videoHeight).then(function (text) {
        if (!found(text)) setTimeout(tick, 150);
      }, function () { setTimeout(tick, 300); });
    };
    tick();
  };
  var startCamera = function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      show(cameraSays = say("nocamera"));
      return;
    }
    show(say("starting"));
    navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false }).then(function (s) {
      if (done) {
        s.getTracks().forEach(function (t) { t.stop(); });
        return;
      }
      stream = s;
      video.srcObject = s;
      finder.hidden = false;
      var playing = video.play();
      if (playing && playing.catch) playing.catch(function () {});
      return decoder().then(function (read) {
        show(say("looking"));
        scanFrames(read);
      }, function () {
        stop();
        finder.hidden = true;
        show(cameraSays = say("unsupported"));
      });
    }, function (err) {
      var name = err && err.name;
      show(cameraSays = say(name === "NotAllowedError" || name === "SecurityError" ? "denied" : "nocamera"));
    });
  };

  // A photo, taken or chosen: read the same way.
  photo.addEventListener("change", function () {
    var file = photo.files && photo.files[0];
    if (!file) return;
    show(say("reading"));
    Promise.all([decoder(), createImageBitmap(file)]).then(function (r) {
      var read = r[0], bmp = r[1];
      return read(bmp, bmp.width, bmp.height).then(function (text) {
        if (text == null) {
          show(say("nocode"));
        } else if (!found(text)) {
          show(cameraSays);
        }
      });
    }).catch(function () { show(say("nocode")); });
  });

  window.addEventListener("pagehide", stop);
  startCamera();
})();
