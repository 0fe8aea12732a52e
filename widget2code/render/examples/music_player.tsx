import { useState } from "react";

export default function MusicPlayer() {
  const [playing] = useState(true);
  return (
    <div className="flex w-[360px] items-center gap-4 rounded-2xl bg-zinc-900 p-4 text-white shadow-2xl">
      <div className="h-16 w-16 shrink-0 rounded-xl bg-gradient-to-br from-fuchsia-500 to-orange-400" />
      <div className="min-w-0 flex-1">
        <p className="truncate text-sm font-semibold">Midnight Drive</p>
        <p className="truncate text-xs text-zinc-400">The Neon Coast</p>
        <div className="mt-2 h-1 w-full rounded-full bg-zinc-700">
          <div className="h-1 w-2/5 rounded-full bg-white" />
        </div>
        <div className="mt-1 flex justify-between text-[10px] text-zinc-500">
          <span>1:24</span>
          <span>3:41</span>
        </div>
      </div>
      <button className="flex h-10 w-10 items-center justify-center rounded-full bg-white text-zinc-900">
        {playing ? (
          <svg viewBox="0 0 24 24" className="h-5 w-5" fill="currentColor">
            <rect x="6" y="5" width="4" height="14" rx="1" />
            <rect x="14" y="5" width="4" height="14" rx="1" />
          </svg>
        ) : (
          <svg viewBox="0 0 24 24" className="h-5 w-5" fill="currentColor">
            <path d="M8 5v14l11-7z" />
          </svg>
        )}
      </button>
    </div>
  );
}
