/*
 * rusage runs a command and prints its CPU time and peak RSS, so that the
 * benchmark measures each contestant from a small parent: Linux carries the
 * memory high-water mark of the process that calls exec into the new
 * program's maxrss, so a child started straight from the benchmark (which
 * holds its reference pictures) would report the benchmark's own RSS.
 *
 * usage: rusage COMMAND [ARG...]
 * prints: user_us sys_us maxrss_kb, after the command exits 0
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	int status;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: rusage COMMAND [ARG...]\n");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		return 1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	printf("%ld %ld %ld\n",
	       (long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
	       (long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec,
	       ru.ru_maxrss);
	return 0;
}
