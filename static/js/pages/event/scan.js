// Scanning a ticket's QR code with the camera, where the browser has the Barcode Detection API.
// A USB or Bluetooth scanner needs none of this: it types the code and Enter into the field.

import { h } from "../../dom.js";
import { t } from "../../i18n.js";

export function scanButton(onCode, onError) {
  if (!("BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) return null;
  const video = h("video", { class: "scan-video", muted: true, playsinline: true, hidden: true, "aria-hidden": "true" });
  const button = h("button", { type: "button", class: "secondary", "data-testid": "checkin-scan", text: t("event.checkin_scan") });
  let stopScan = null;
  button.addEventListener("click", async () => {
    if (stopScan) {
      stopScan();
      return;
    }
    try {
      const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      let active = true;
      stopScan = () => {
        active = false;
        stream.getTracks().forEach((track) => track.stop());
        video.hidden = true;
        stopScan = null;
      };
      const tick = async () => {
        if (!active) return;
        try {
          const found = await detector.detect(video);
          if (found.length) {
            stopScan();
            onCode(found[0].rawValue.trim());
            return;
          }
        } catch {
          /* a frame that could not be read: try the next one */
        }
        setTimeout(tick, 250);
      };
      tick();
    } catch (err) {
      onError(err);
    }
  });
  return { el: h("span", {}, button, video), stop: () => stopScan && stopScan() };
}
