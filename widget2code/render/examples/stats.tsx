export default function RevenueCard() {
  const bars = [40, 62, 35, 80, 56, 92, 70];
  return (
    <div className="w-[300px] rounded-2xl border border-slate-200 bg-white p-5 shadow-md">
      <div className="flex items-center justify-between">
        <p className="text-sm font-medium text-slate-500">Revenue</p>
        <span className="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-700">+12.4%</span>
      </div>
      <p className="mt-1 text-3xl font-bold text-slate-900">$48,210</p>
      <div className="mt-4 flex h-20 items-end gap-2">
        {bars.map((h, i) => (
          <div key={i} className={`flex-1 rounded-t-md ${i === 5 ? "bg-indigo-600" : "bg-indigo-200"}`} style={{ height: `${h}%` }} />
        ))}
      </div>
      <div className="mt-2 flex justify-between text-[10px] text-slate-400">
        {["M", "T", "W", "T", "F", "S", "S"].map((d, i) => (
          <span key={i}>{d}</span>
        ))}
      </div>
    </div>
  );
}
