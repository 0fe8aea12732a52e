// shadcn's chart helpers over recharts: a config gives each series a label and a colour, exposed to the
// chart as `var(--color-<key>)`.
import * as React from "react";
import { Legend, ResponsiveContainer, Tooltip } from "recharts";
import { cn } from "../lib/utils";

export type ChartConfig = Record<string, { label?: React.ReactNode; icon?: React.ComponentType; color?: string; theme?: Record<string, string> }>;

const ChartContext = React.createContext<{ config: ChartConfig }>({ config: {} });

type ChartContainerProps = React.ComponentProps<"div"> & {
  config: ChartConfig;
  children: React.ComponentProps<typeof ResponsiveContainer>["children"];
};

export function ChartContainer({ id, className, children, config, style, ...props }: ChartContainerProps) {
  const colours: Record<string, string> = {};
  for (const [key, item] of Object.entries(config)) {
    const colour = item.theme?.light ?? item.color;
    if (colour) colours[`--color-${key}`] = colour;
  }
  return (
    <ChartContext.Provider value={{ config }}>
      <div data-slot="chart" data-chart={id ?? "chart"} style={{ ...colours, ...style } as React.CSSProperties}
        className={cn("flex aspect-video justify-center text-xs [&_.recharts-cartesian-axis-tick_text]:fill-muted-foreground [&_.recharts-cartesian-grid_line[stroke='#ccc']]:stroke-border/50 [&_.recharts-polar-grid_[stroke='#ccc']]:stroke-border [&_.recharts-layer]:outline-hidden [&_.recharts-surface]:outline-hidden", className)}
        {...props}>
        <ResponsiveContainer>{children}</ResponsiveContainer>
      </div>
    </ChartContext.Provider>
  );
}

export const ChartTooltip = Tooltip;
export function ChartTooltipContent(_props: Record<string, unknown>) {
  return null;
}

export const ChartLegend = Legend;
export function ChartLegendContent({ payload, className, nameKey }: { payload?: Array<{ value?: string; dataKey?: string | number; color?: string }>; className?: string; nameKey?: string; hideIcon?: boolean; verticalAlign?: string }) {
  const { config } = React.useContext(ChartContext);
  if (!payload?.length) return null;
  return (
    <div className={cn("flex items-center justify-center gap-4 pt-3", className)}>
      {payload.map((item) => {
        const key = String((nameKey && (item as Record<string, unknown>)[nameKey]) ?? item.dataKey ?? item.value ?? "");
        return (
          <div key={key} className="flex items-center gap-1.5">
            <div className="h-2 w-2 shrink-0 rounded-[2px]" style={{ backgroundColor: item.color }} />
            {config[key]?.label ?? item.value}
          </div>
        );
      })}
    </div>
  );
}

export function ChartStyle(_props: { id: string; config: ChartConfig }) {
  return null;
}
