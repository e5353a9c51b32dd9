package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.test.Mocks;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Pulumi mocks that answer like GCP: each resource echoes its inputs and gets the outputs the provider would
 * compute (ids, connection names, private IPs, the Memorystore AUTH string and CA, the Cloud Run URL). Every
 * registration is recorded for assertions and for the offline plan.
 */
final class GcpMocks implements Mocks {
    static final String REDIS_AUTH = "mock-memorystore-auth-7d1f0c2e";
    static final String REDIS_CA = "-----BEGIN CERTIFICATE-----\nMIIBmockCA\n-----END CERTIFICATE-----";
    /** During a CA rotation Memorystore lists two server CAs. */
    static final String REDIS_NEXT_CA = "-----BEGIN CERTIFICATE-----\nMIIBmockNextCA\n-----END CERTIFICATE-----";

    static final String SECRET_VERSION = "1";
    static final String SQL_IP = "10.20.0.3";
    static final String SQL_CA = "-----BEGIN CERTIFICATE-----\nMIIBmockSqlCA\n-----END CERTIFICATE-----";
    /** During a server CA rotation Cloud SQL lists the upcoming CA too. */
    static final String SQL_NEXT_CA = "-----BEGIN CERTIFICATE-----\nMIIBmockSqlNextCA\n-----END CERTIFICATE-----";
    /** The load balancer's reserved address (a documentation range, RFC 5737). */
    static final String LB_IP = "203.0.113.10";

    static final String UPTIME_CHECK_ID = "agentidp-production-uptime-9f2c";
    static final String NOTIFICATION_CHANNEL = "projects/my-gcp-project-id/notificationChannels/4711";
    static final String REDIS_HOST = "10.30.0.4";

    /** One registered resource. */
    record Registration(String type, String name, Map<String, Object> inputs) {}

    final List<Registration> registrations = Collections.synchronizedList(new ArrayList<>());

    @Override
    public CompletableFuture<ResourceResult> newResourceAsync(ResourceArgs args) {
        registrations.add(new Registration(args.type, args.name, args.inputs));
        Map<String, Object> state = new HashMap<>(args.inputs);
        String name = String.valueOf(args.inputs.getOrDefault("name", args.name));
        String project = String.valueOf(args.inputs.getOrDefault("project", "mock-project"));
        String id = args.name + "-id";
        switch (args.type) {
            case "gcp:compute/network:Network" -> id = "projects/" + project + "/global/networks/" + name;
            case "gcp:vpcaccess/connector:Connector" ->
                id = "projects/" + project + "/locations/" + args.inputs.get("region") + "/connectors/" + name;
            case "gcp:sql/databaseInstance:DatabaseInstance" -> {
                state.put("connectionName", project + ":" + args.inputs.get("region") + ":" + name);
                state.put("privateIpAddress", SQL_IP);
                state.put("serverCaCerts", List.of(Map.of("cert", SQL_CA + "\n"), Map.of("cert", SQL_NEXT_CA)));
            }
            case "gcp:redis/instance:Instance" -> {
                id = "projects/" + project + "/locations/" + args.inputs.get("region") + "/instances/" + name;
                state.put("host", REDIS_HOST);
                state.put("port", 6379);
                state.put("authString", REDIS_AUTH);
                state.put("serverCaCerts", List.of(Map.of("cert", REDIS_CA), Map.of("cert", REDIS_NEXT_CA + "\n")));
            }
            case "gcp:serviceaccount/account:Account" ->
                state.put("email", args.inputs.get("accountId") + "@" + project + ".iam.gserviceaccount.com");
            case "gcp:secretmanager/secret:Secret" ->
                id = "projects/" + project + "/secrets/" + args.inputs.get("secretId");
            case "gcp:secretmanager/secretVersion:SecretVersion" -> {
                id = args.inputs.get("secret") + "/versions/" + SECRET_VERSION;
                state.put("version", SECRET_VERSION);
                state.put("name", id);
            }
            case "gcp:cloudrunv2/service:Service" -> state.put("uri", "https://" + name + "-abc123-uc.a.run.app");
            case "gcp:compute/globalAddress:GlobalAddress" -> state.putIfAbsent("address", LB_IP);
            case "gcp:compute/securityPolicy:SecurityPolicy" ->
                state.put(
                        "selfLink",
                        "https://www.googleapis.com/compute/v1/projects/" + project + "/global/securityPolicies/"
                                + name);
            case "gcp:compute/managedSslCertificate:ManagedSslCertificate" ->
                id = "projects/" + project + "/global/sslCertificates/" + name;
            case "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup" ->
                id = "projects/" + project + "/regions/" + args.inputs.get("region") + "/networkEndpointGroups/" + name;
            case "gcp:compute/backendService:BackendService" ->
                id = "projects/" + project + "/global/backendServices/" + name;
            case "gcp:compute/uRLMap:URLMap" -> id = "projects/" + project + "/global/urlMaps/" + name;
            case "gcp:compute/targetHttpsProxy:TargetHttpsProxy" ->
                id = "projects/" + project + "/global/targetHttpsProxies/" + name;
            case "gcp:compute/targetHttpProxy:TargetHttpProxy" ->
                id = "projects/" + project + "/global/targetHttpProxies/" + name;
            case "gcp:compute/sSLPolicy:SSLPolicy" -> id = "projects/" + project + "/global/sslPolicies/" + name;
            case "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig" -> state.put("uptimeCheckId", UPTIME_CHECK_ID);
            case "gcp:monitoring/notificationChannel:NotificationChannel" -> {
                id = NOTIFICATION_CHANNEL;
                state.put("name", NOTIFICATION_CHANNEL);
            }
            default -> {
                // echo only
            }
        }
        state.putIfAbsent("name", name);
        return CompletableFuture.completedFuture(ResourceResult.of(Optional.of(id), state));
    }

    List<Registration> ofType(String type) {
        synchronized (registrations) {
            return registrations.stream().filter(r -> r.type().equals(type)).toList();
        }
    }

    Registration single(String type) {
        List<Registration> found = ofType(type);
        if (found.size() != 1) {
            throw new AssertionError("expected one " + type + ", found " + found.size());
        }
        return found.get(0);
    }
}
