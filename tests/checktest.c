/* SPDX-License-Identifier: ISC */
/*
 * checktest.c: main() for every Check program.  It quiets the log (tests
 * provoke warnings on purpose) and runs the program's suite as Check's
 * environment asks: CK_RUN_SUITE, CK_RUN_CASE, CK_FORK, CK_VERBOSITY,
 * CK_DEFAULT_TIMEOUT, CK_LOG_FILE_NAME and the rest.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "checktest.h"
#include "log.h"

/*
 * Runs s and frees it.  The print mode comes from CK_VERBOSITY (normal
 * when unset); the fork mode is left to Check, so CK_FORK=no works.
 * The exit status is 0 or 1, never a count, which automake would read
 * as a skip (77) or a hard error (99), or as a pass when it wraps to 0.
 */
int
check_main(Suite *s)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int
main(int argc, char *argv[])
{
	const char	*name = "check";

	if (argc > 0 && argv[0] != NULL) {
		name = strrchr(argv[0], '/');
		name = name != NULL ? name + 1 : argv[0];
	}
	/* Expected warnings (refused input, dead children) stay quiet. */
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_TEXT, name);
	return check_main(check_suite());
}
