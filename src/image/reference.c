#include "config.h"

#include "image/reference.h"
