// The live channel: server-sent events from the gateway's /live, read with fetch so that the
// subject's token travels in the Authorization header (EventSource cannot send one). Each
// event says only what kind of thing changed; the portal then asks the API again, so what it
// shows always passes the edition policy.

const ENDPOINT = new URL("../../live", import.meta.url);

export function follow(token, onEvent) {
  const stop = new AbortController();
  (async () => {
    let retry = 1000;
    while (!stop.signal.aborted) {
      try {
        const response = await fetch(ENDPOINT, {
          headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" },
          signal: stop.signal,
        });
        if (response.status === 401 || response.status === 403 || response.status === 404) return;
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        retry = 1000;
        await read(response.body, onEvent);
      } catch (error) {
        if (stop.signal.aborted) return;
      }
      await new Promise((resolve) => setTimeout(resolve, retry));
      retry = Math.min(retry * 2, 30000);
    }
  })();
  return () => stop.abort();
}

async function read(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    pending += value;
    let end;
    while ((end = pending.indexOf("\n\n")) >= 0) {
      const block = pending.slice(0, end);
      pending = pending.slice(end + 2);
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trim())
        .join("\n");
      if (data) onEvent(JSON.parse(data));
    }
  }
}
