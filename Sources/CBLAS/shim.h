// OpenBLAS's CBLAS interface (Debian libopenblas-dev). Kept behind this system-library
// target so that only LinearAlgebra ever sees C.
#include <cblas.h>

// openblas_set_num_threads / get are OpenBLAS extensions declared in cblas.h on Debian;
// re-declared here defensively in case the header is a generic CBLAS one.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
