// Passkeys (WebAuthn): "Confirm with fingerprint or face" on payment forms,
// and adding a passkey in payment settings. Without this script (or in a
// browser without passkeys) the button stays hidden and the PIN confirms.
(function () {
  "use strict";

  function supported() {
    return !!(window.PublicKeyCredential && navigator.credentials && navigator.credentials.get);
  }

  // base64url <-> ArrayBuffer: the server speaks the WebAuthn JSON forms,
  // the browser's API wants bytes.
  function toBytes(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64url(buf) {
    var bytes = new Uint8Array(buf), s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // post sends a form to the server and reads its JSON answer; a refusal
  // becomes an Error whose message is the server's sentence.
  function post(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      body: new URLSearchParams(data)
    }).then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok) {
          var err = new Error(body.error || "");
          err.fromServer = true;
          throw err;
        }
        return body;
      });
    });
  }

  function showProblem(box, err, fallback) {
    var p = box.querySelector("[data-passkey-problem]");
    if (!p) return;
    p.textContent = err && err.fromServer && err.message ? err.message : fallback;
    p.hidden = false;
  }

  // The answer of navigator.credentials.get, as the server reads it.
  function assertionJSON(c) {
    var r = c.response, out = {
      id: c.id, rawId: toB64url(c.rawId), type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: {
        authenticatorData: toB64url(r.authenticatorData),
        clientDataJSON: toB64url(r.clientDataJSON),
        signature: toB64url(r.signature)
      }
    };
    if (r.userHandle) out.response.userHandle = toB64url(r.userHandle);
    return JSON.stringify(out);
  }

  // The answer of navigator.credentials.create, as the server reads it.
  function attestationJSON(c) {
    var r = c.response;
    return JSON.stringify({
      id: c.id, rawId: toB64url(c.rawId), type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: {
        clientDataJSON: toB64url(r.clientDataJSON),
        attestationObject: toB64url(r.attestationObject),
        transports: r.getTransports ? r.getTransports() : []
      }
    });
  }

  // Confirm a payment: a challenge for this payment id and amount, the
  // device's fingerprint or face, then the form goes with the answer.
  function confirmPayment(box, button) {
    var form = box.closest("form");
    var amount = box.getAttribute("data-amount") || (form.elements.amount ? form.elements.amount.value : "");
    var failed = box.getAttribute("data-msg-failed");
    var problem = box.querySelector("[data-passkey-problem]");
    problem.hidden = true;
    button.disabled = true;
    post("/payments/passkeys/challenge", {
      payment_id: box.getAttribute("data-payment-id"),
      amount: amount,
      currency: box.getAttribute("data-currency")
    }).then(function (options) {
      var pk = options.publicKey;
      pk.challenge = toBytes(pk.challenge);
      (pk.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
      return navigator.credentials.get({ publicKey: pk });
    }).then(function (cred) {
      if (!cred) throw new Error("");
      form.elements.passkey.value = assertionJSON(cred);
      if (form.elements.pin) form.elements.pin.value = "";
      form.submit();
    }).catch(function (err) {
      button.disabled = false;
      showProblem(box, err, failed);
    });
  }

  // Add a passkey: the PIN proves it is the owner, then the device makes
  // the passkey, then the server keeps its public key.
  function addPasskey(form) {
    var failed = form.getAttribute("data-msg-failed");
    var problem = form.querySelector("[data-passkey-problem]");
    var button = form.querySelector("button[type=submit]");
    problem.hidden = true;
    if (!supported()) {
      showProblem(form, null, form.getAttribute("data-msg-unsupported"));
      return;
    }
    button.disabled = true;
    var name = form.elements.name.value;
    post(form.action, { pin: form.elements.pin.value }).then(function (options) {
      var pk = options.publicKey;
      pk.challenge = toBytes(pk.challenge);
      pk.user.id = toBytes(pk.user.id);
      (pk.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
      return navigator.credentials.create({ publicKey: pk });
    }).then(function (cred) {
      if (!cred) throw new Error("");
      return post("/payments/passkeys", { name: name, credential: attestationJSON(cred) });
    }).then(function (done) {
      window.location.assign(done.location);
    }).catch(function (err) {
      button.disabled = false;
      form.elements.pin.value = "";
      showProblem(form, err, failed);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-passkey-pay]").forEach(function (box) {
      if (!supported()) return;
      var button = box.querySelector("button");
      button.hidden = false;
      box.querySelector("[data-passkey-or]").hidden = false;
      button.addEventListener("click", function () { confirmPayment(box, button); });
    });
    document.querySelectorAll("[data-passkey-add]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        addPasskey(form);
      });
    });
  });
})();
