import * as React from "react";
import { cn } from "../lib/utils";

const TabsContext = React.createContext<{ value?: string; select: (value: string) => void }>({ select: () => {} });

type TabsProps = React.ComponentProps<"div"> & { value?: string; defaultValue?: string; onValueChange?: (value: string) => void };

export function Tabs({ className, value, defaultValue, onValueChange, ...props }: TabsProps) {
  const [own, setOwn] = React.useState(defaultValue);
  const select = (next: string) => { setOwn(next); onValueChange?.(next); };
  return (
    <TabsContext.Provider value={{ value: value ?? own, select }}>
      <div data-slot="tabs" className={cn("flex flex-col gap-2", className)} {...props} />
    </TabsContext.Provider>
  );
}
export function TabsList({ className, ...props }: React.ComponentProps<"div">) {
  return <div data-slot="tabs-list" role="tablist" className={cn("inline-flex h-9 w-fit items-center justify-center rounded-lg bg-muted p-[3px] text-muted-foreground", className)} {...props} />;
}
export function TabsTrigger({ className, value, ...props }: React.ComponentProps<"button"> & { value: string }) {
  const tabs = React.useContext(TabsContext);
  const active = tabs.value === value;
  return (
    <button type="button" role="tab" data-slot="tabs-trigger" data-state={active ? "active" : "inactive"} onClick={() => tabs.select(value)}
      className={cn("inline-flex h-[calc(100%-1px)] flex-1 items-center justify-center gap-1.5 rounded-md border border-transparent px-2 py-1 text-sm font-medium whitespace-nowrap text-foreground", active && "bg-background shadow-sm", className)} {...props} />
  );
}
export function TabsContent({ className, value, ...props }: React.ComponentProps<"div"> & { value: string }) {
  const tabs = React.useContext(TabsContext);
  if (tabs.value !== value) return null;
  return <div data-slot="tabs-content" role="tabpanel" className={cn("flex-1 outline-none", className)} {...props} />;
}
