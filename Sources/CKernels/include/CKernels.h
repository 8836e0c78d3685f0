// Umbrella header of the CKernels module: hand-vectorized kernels for the few hot loops OpenBLAS
// and scalar Swift do poorly on this machine (see each header).
#include "small_m.h"
#include "vector_math.h"
#include "attention_row.h"
