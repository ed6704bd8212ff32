import { useEffect, useRef, useState } from "preact/hooks";
import { urls } from "./api";
import { cameraText } from "./camera_text";
import { type PlayerState, playLive } from "./player";

// A camera's live video with its state over it (connecting, offline...),
// and its latest keyframe as the poster until the first frame plays.
export function LiveVideo({ camera, onState }: { camera: string; onState?: (s: PlayerState) => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<PlayerState>({ kind: "connecting" });
  useEffect(() => {
    const player = playLive(video.current!, camera, (s) => {
      setState(s);
      onState?.(s);
    });
    return () => player.stop();
  }, [camera]);
  return (
    <div class="video-box">
      <video ref={video} muted playsInline autoplay poster={urls.snapshot(camera)} data-camera={camera} />
      <StateOverlay state={state} />
    </div>
  );
}

export function StateOverlay({ state }: { state: PlayerState }) {
  if (state.kind === "playing") return null;
  const text = state.kind === "connecting" ? cameraText().connecting : state.message(cameraText());
  return <div class={`overlay ${state.kind}`}>{text}</div>;
}
