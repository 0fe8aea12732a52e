import * as React from "react";
import { cn } from "../lib/utils";

type SliderProps = Omit<React.ComponentProps<"div">, "defaultValue"> & {
  value?: number[]; defaultValue?: number[]; min?: number; max?: number; step?: number;
  onValueChange?: (value: number[]) => void;
};

export function Slider({ className, value, defaultValue, min = 0, max = 100, step: _step, onValueChange: _change, ...props }: SliderProps) {
  const values = value ?? defaultValue ?? [min];
  const at = (v: number) => ((v - min) / (max - min || 1)) * 100;
  const low = values.length > 1 ? at(Math.min(...values)) : 0;
  const high = at(Math.max(...values));
  return (
    <div data-slot="slider" className={cn("relative flex w-full touch-none items-center select-none", className)} {...props}>
      <div data-slot="slider-track" className="relative h-1.5 w-full grow overflow-hidden rounded-full bg-muted">
        <div data-slot="slider-range" className="absolute h-full bg-primary" style={{ left: `${low}%`, right: `${100 - high}%` }} />
      </div>
      {values.map((v, i) => (
        <span key={i} data-slot="slider-thumb" className="absolute block size-4 -translate-x-1/2 rounded-full border border-primary bg-white shadow-sm" style={{ left: `${at(v)}%` }} />
      ))}
    </div>
  );
}
