package ai.sentryagent.agentidp.infra.aws;

import software.amazon.awscdk.RemovalPolicy;

/**
 * What {@code agentidp.<env>.retainData} turns on: RDS deletion protection, stack termination protection, and
 * retain/snapshot on removal of every resource with a fixed name (secrets, log groups, the database, the cache).
 * Off for the first create: CloudFormation then rolls a failed create back completely (deletion protection would
 * make the rollback fail) and leaves nothing behind whose name a retry would collide with ("already exists").
 * CloudFormation deletes a secret without a recovery window, so its name is free again at once
 * (aws-cloudformation/cloudformation-coverage-roadmap issue 1999).
 */
public record Protection(boolean retainData) {
    /** For named resources that hold no data of their own (secrets, log groups). */
    public RemovalPolicy retainOrDestroy() {
        return retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    }

    /** For the database and the cache. */
    public RemovalPolicy snapshotOrDestroy() {
        return retainData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY;
    }

    public boolean deletionProtection() {
        return retainData;
    }
}
