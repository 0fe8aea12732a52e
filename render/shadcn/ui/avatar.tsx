// The page loads no image by URL, so an avatar shows its fallback unless its image is inline (data:).
import * as React from "react";
import { cn } from "../lib/utils";

export function Avatar({ className, ...props }: React.ComponentProps<"span">) {
  return <span data-slot="avatar" className={cn("relative flex size-8 shrink-0 overflow-hidden rounded-full", className)} {...props} />;
}
export function AvatarImage({ className, src, alt = "", ...props }: React.ComponentProps<"img">) {
  if (typeof src !== "string" || !/^(data|blob):/.test(src)) return null;
  return <img data-slot="avatar-image" src={src} alt={alt} className={cn("absolute inset-0 aspect-square size-full object-cover", className)} {...props} />;
}
export function AvatarFallback({ className, ...props }: React.ComponentProps<"span">) {
  return <span data-slot="avatar-fallback" className={cn("flex size-full items-center justify-center rounded-full bg-muted", className)} {...props} />;
}
