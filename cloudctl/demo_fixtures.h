/* demo_fixtures.h -- the files of fixtures/demo/, built into the program.
 *
 * cloudctl/CMakeLists.txt generates the definitions (cmake/embed.cmake) at
 * configure time, so `cloudctl demo` runs from any directory.  Each array
 * holds the file's bytes followed by a NUL.
 */
#ifndef CC_DEMO_FIXTURES_H
#define CC_DEMO_FIXTURES_H

/* fixtures/demo/cloudctl.yaml: the fleet config without endpoints, credentials or kubeconfigs */
extern const char cc_demo_fixture_cloudctl_yaml[];
/* fixtures/demo/gateway.yaml: Namespace, backend Service, Gateway and HTTPRoute */
extern const char cc_demo_fixture_gateway_yaml[];

#endif
