export default function WeatherWidget() {
  const hours = [
    { time: "Now", temp: 21, icon: "sun" },
    { time: "10", temp: 22, icon: "sun" },
    { time: "11", temp: 23, icon: "cloud" },
    { time: "12", temp: 23, icon: "cloud" },
    { time: "13", temp: 22, icon: "rain" },
  ];
  const Icon = ({ kind }: { kind: string }) =>
    kind === "sun" ? (
      <svg viewBox="0 0 24 24" className="h-5 w-5 text-yellow-300" fill="currentColor">
        <circle cx="12" cy="12" r="5" />
      </svg>
    ) : kind === "cloud" ? (
      <svg viewBox="0 0 24 24" className="h-5 w-5 text-white" fill="currentColor">
        <path d="M7 18a5 5 0 1 1 1-9.9A6 6 0 0 1 19 10a4 4 0 0 1 0 8H7z" />
      </svg>
    ) : (
      <svg viewBox="0 0 24 24" className="h-5 w-5 text-sky-200" fill="currentColor">
        <path d="M7 14a5 5 0 1 1 1-9.9A6 6 0 0 1 19 6a4 4 0 0 1 0 8H7zm1 3l-1 3m5-3l-1 3m5-3l-1 3" />
      </svg>
    );
  return (
    <div className="w-[340px] rounded-3xl bg-gradient-to-b from-sky-500 to-blue-700 p-5 text-white shadow-xl">
      <div className="flex items-start justify-between">
        <div>
          <p className="text-sm font-semibold">Lisbon</p>
          <p className="text-5xl font-light">21°</p>
        </div>
        <div className="text-right text-xs">
          <p className="font-medium">Mostly Sunny</p>
          <p className="opacity-80">H:24° L:15°</p>
        </div>
      </div>
      <div className="mt-4 flex justify-between border-t border-white/20 pt-3">
        {hours.map((h) => (
          <div key={h.time} className="flex flex-col items-center gap-1 text-xs">
            <span className="opacity-80">{h.time}</span>
            <Icon kind={h.icon} />
            <span className="font-semibold">{h.temp}°</span>
          </div>
        ))}
      </div>
    </div>
  );
}
