package ai.sentryagent.agentidp.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.util.Map;

/**
 * One JSON object per line: {@code timestamp}, {@code level}, {@code logger}, {@code message}, the MDC entries
 * (such as {@code requestId}) and, for failures, {@code error} with a bounded stack.
 */
public final class JsonLayout extends LayoutBase<ILoggingEvent> {
    private static final int MAX_FRAMES = 12;

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder json = new StringBuilder(256);
        json.append("{\"timestamp\":\"")
                .append(Instant.ofEpochMilli(event.getTimeStamp()))
                .append("\",\"level\":\"")
                .append(event.getLevel())
                .append("\",\"logger\":");
        string(json, event.getLoggerName());
        json.append(",\"thread\":");
        string(json, event.getThreadName());
        json.append(",\"message\":");
        string(json, event.getFormattedMessage());
        for (Map.Entry<String, String> entry : event.getMDCPropertyMap().entrySet()) {
            json.append(',');
            string(json, entry.getKey());
            json.append(':');
            string(json, entry.getValue());
        }
        IThrowableProxy error = event.getThrowableProxy();
        if (error != null) {
            json.append(",\"error\":");
            string(json, error.getClassName() + (error.getMessage() == null ? "" : ": " + error.getMessage()));
            json.append(",\"stack\":");
            StringBuilder stack = new StringBuilder();
            StackTraceElementProxy[] frames = error.getStackTraceElementProxyArray();
            for (int i = 0; i < Math.min(frames.length, MAX_FRAMES); i++) {
                stack.append(frames[i].getSTEAsString()).append('\n');
            }
            string(json, stack.toString());
        }
        return json.append("}\n").toString();
    }

    static void string(StringBuilder out, String value) {
        if (value == null) {
            out.append("null");
            return;
        }
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
