/** The command line: {@code serve}, {@code dev} and the operational commands. */
package ai.sentryagent.agentidp.cli;
