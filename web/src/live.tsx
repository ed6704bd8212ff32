import { useEffect, useRef, useState } from "preact/hooks";
import { type Camera, type LiveStreamChoice, urls } from "./api";
import { offlineLine } from "./camera_state";
import { cameraText } from "./camera_text";
import { type PlayerState, playLive } from "./player";

// A camera's live video with its state over it (connecting, offline...),
// and its latest keyframe as the poster until the first frame plays.
// status: the camera's entry of the camera list, for why it is offline.
// stream: "sub" for a small view (grid tiles), served the sub stream while
// the camera has one that streams.
export function LiveVideo({
  camera,
  status,
  onState,
  stream = "main",
}: {
  camera: string;
  status?: Camera;
  onState?: (s: PlayerState) => void;
  stream?: LiveStreamChoice;
}) {
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<PlayerState>({ kind: "connecting" });
  useEffect(() => {
    const player = playLive(
      video.current!,
      camera,
      (s) => {
        setState(s);
        onState?.(s);
      },
      stream,
    );
    return () => player.stop();
  }, [camera, stream]);
  return (
    <div class="video-box">
      <video
        ref={video}
        muted
        playsInline
        autoplay
        poster={urls.snapshot(camera, stream)}
        data-camera={camera}
        data-stream={stream}
      />
      <StateOverlay state={state} camera={status} />
    </div>
  );
}

// Video that came back is the truth (the camera list lags it by its
// poll), so a returning camera's tile clears at its first frame.
export const videoResumed = (s: PlayerState) => s.kind === "playing" && s.resumed === true;

// The camera list's reason when it says the camera is offline (unless its
// video resumed: player.ts, kResumeGapMs), else the player's own state.
export function StateOverlay({ state, camera }: { state: PlayerState; camera?: Camera }) {
  const offline = camera && offlineLine(camera);
  if (offline && !videoResumed(state)) return <div class="overlay offline camera-offline">{offline}</div>;
  if (state.kind === "playing") return null;
  const text = state.kind === "connecting" ? cameraText().connecting : state.message(cameraText());
  return <div class={`overlay ${state.kind}`}>{text}</div>;
}
