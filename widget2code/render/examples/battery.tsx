export default function BatteryWidget() {
  const devices = [
    { name: "iPhone", level: 82 },
    { name: "Watch", level: 45 },
    { name: "AirPods", level: 17 },
  ];
  return (
    <div className="grid w-[320px] grid-cols-3 gap-3 rounded-[28px] bg-neutral-800 p-4 shadow-xl">
      {devices.map((d) => (
        <div key={d.name} className="flex flex-col items-center gap-2">
          <div className="relative flex h-16 w-16 items-center justify-center rounded-full" style={{ background: `conic-gradient(${d.level < 20 ? "#ef4444" : "#22c55e"} ${d.level * 3.6}deg, #404040 0deg)` }}>
            <div className="flex h-12 w-12 items-center justify-center rounded-full bg-neutral-800 text-sm font-semibold text-white">{d.level}%</div>
          </div>
          <span className="text-xs text-neutral-300">{d.name}</span>
        </div>
      ))}
    </div>
  );
}
