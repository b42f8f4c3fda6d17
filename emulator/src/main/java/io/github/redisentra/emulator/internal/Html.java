package io.github.redisentra.emulator.internal;

/** Minimal HTML building for the sign-in and device-code pages (escaping is the only thing that matters). */
public final class Html {
    private Html() {}

    public static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    public static String hidden(String name, String value) {
        if (value == null) {
            return "";
        }
        return "<input type=\"hidden\" name=\"" + escape(name) + "\" value=\"" + escape(value) + "\">\n";
    }

    public static String page(String title, String body) {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title)
                + "</title>\n<style>body{font-family:sans-serif;max-width:40em;margin:3em auto;color:#222}"
                + "button{display:block;margin:.5em 0;padding:.6em 1em;font-size:1em;min-width:20em;text-align:left}"
                + ".muted{color:#666;font-size:.9em}.error{color:#a00}</style></head>\n<body>\n<h1>"
                + escape(title) + "</h1>\n" + body + "\n</body></html>\n";
    }
}
