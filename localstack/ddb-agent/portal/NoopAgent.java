package portal;

import java.lang.instrument.Instrumentation;

/**
 * Stand-in for LocalStack's ddb-local-loader-0.1.jar (which it downloads from GitHub, unreachable
 * here). LocalStack always starts DynamoDB Local with -javaagent:<dir>/ddb-local-loader-0.1.jar; the
 * real agent only lifts the 20-GSI limit, so an agent that does nothing is enough for this project.
 */
public final class NoopAgent {
    private NoopAgent() {}

    public static void premain(String args, Instrumentation inst) {
        // intentionally empty
    }
}
