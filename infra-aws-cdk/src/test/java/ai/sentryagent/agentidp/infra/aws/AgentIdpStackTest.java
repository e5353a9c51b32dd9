package ai.sentryagent.agentidp.infra.aws;

import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

class AgentIdpStackTest {
    private static Template template;

    @BeforeAll
    static void synthesize() {
        App app = new App();
        template = Template.fromStack(AgentIdpApp.build(app));
    }

    @Test
    void vpcSpansTwoZonesWithPublicAndPrivateSubnets() {
        template.resourceCountIs("AWS::EC2::VPC", 1);
        template.hasResourceProperties("AWS::EC2::VPC", Map.of("CidrBlock", "10.40.0.0/16", "EnableDnsSupport", true));
        template.resourceCountIs("AWS::EC2::Subnet", 4);
        template.resourceCountIs("AWS::EC2::NatGateway", 2);
        template.hasResourceProperties(
                "AWS::EC2::Subnet",
                Match.objectLike(Map.of("MapPublicIpOnLaunch", false, "CidrBlock", "10.40.4.0/22")));
    }
}
