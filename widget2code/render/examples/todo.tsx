const tasks = [
  { title: "Review pull request #42", done: true },
  { title: "Write release notes", done: false },
  { title: "Book flights to Berlin", done: false },
];

export default function TodoWidget() {
  return (
    <div className="w-[280px] rounded-3xl bg-amber-50 p-5 shadow-lg">
      <div className="mb-3 flex items-baseline justify-between">
        <h2 className="text-lg font-bold text-amber-900">Today</h2>
        <span className="text-xs text-amber-700">1 of 3 done</span>
      </div>
      <ul className="space-y-2">
        {tasks.map((task) => (
          <li key={task.title} className="flex items-center gap-3 rounded-xl bg-white px-3 py-2 shadow-sm">
            <span className={`h-4 w-4 rounded-full border-2 ${task.done ? "border-amber-500 bg-amber-500" : "border-amber-300"}`} />
            <span className={`text-sm ${task.done ? "text-slate-400 line-through" : "text-slate-800"}`}>{task.title}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
