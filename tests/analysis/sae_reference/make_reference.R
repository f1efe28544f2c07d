# Reference values for surveyapp.analysis.smallarea (Fay–Herriot model).
#
# R's `sae` package (eblupFH/mseFH) is not packaged for Debian bookworm, so the
# established implementation used here is `metafor` (Debian: r-cran-metafor,
# tested with 3.8-1): the Fay–Herriot model is a random-effects meta-regression,
#   rma(yi = direct, vi = psi, mods = X - 1)
# with tau2 = sigma2_v. method = "REML" and "ML" are the REML/ML fits, and
# method = "PM" (Paule–Mandel: generalised Q_E(tau2) = k - p) is exactly the
# Fay–Herriot (1979) moment equation sum (y - X b)^2 / (tau2 + psi) = m - p.
# blup() returns the EBLUP gamma*y + (1-gamma)*x'b and the standard error
# sqrt(gamma*psi + (1-gamma)^2 x' Q x) = sqrt(g1 + g2).
#
# Run from this directory:  Rscript make_reference.R
# Writes input_<name>.csv (area, direct, psi, x0, x1, ...) and
# metafor_<name>.csv (one row per method and quantity, values to 17 digits).
suppressPackageStartupMessages(library(metafor))

fmt <- function(v) sprintf("%.17g", v)

write_input <- function(name, y, psi, X) {
  df <- data.frame(area = seq_along(y), direct = fmt(y), psi = fmt(psi))
  for (j in seq_len(ncol(X))) df[[paste0("x", j - 1)]] <- fmt(X[, j])
  write.csv(df, paste0("input_", name, ".csv"), row.names = FALSE, quote = FALSE)
}

fit_all <- function(name, y, psi, X) {
  write_input(name, y, psi, X)
  ctrl <- list(threshold = 1e-13, maxiter = 10000, tol = 1e-15,
               tau2.max = 100 * max(psi), stepadj = 1)
  rows <- list()
  add <- function(method, quantity, index, value) {
    rows[[length(rows) + 1]] <<- data.frame(
      method = method, quantity = quantity, index = index, value = fmt(value))
  }
  for (method in c("REML", "ML", "PM")) {
    fit <- rma(yi = y, vi = psi, mods = X, intercept = FALSE, method = method,
               control = ctrl)
    b <- blup(fit)
    add(method, "sigma2_v", 0, fit$tau2)
    add(method, "beta", seq_len(ncol(X)) - 1, as.vector(fit$beta))
    add(method, "beta_se", seq_len(ncol(X)) - 1, fit$se)
    add(method, "eblup", seq_along(y) - 1, b$pred)
    add(method, "g1_plus_g2", seq_along(y) - 1, b$se^2)
    if (method == "ML") add(method, "loglik", 0, as.numeric(logLik(fit)))
  }
  out <- do.call(rbind, rows)
  write.csv(out, paste0("metafor_", name, ".csv"), row.names = FALSE, quote = FALSE)
}

# 1. Heterogeneous sampling variances, 40 areas, intercept + 2 covariates, on the
#    0-100 score scale (true sigma2_v = 20).
set.seed(20240501)
m <- 40
X <- cbind(1, round(runif(m, 40, 80), 3), rbinom(m, 1, 0.4))
psi <- round(runif(m, 4, 90), 4)
theta <- as.vector(X %*% c(12, 0.8, -5)) + rnorm(m, 0, sqrt(20))
y <- round(theta + rnorm(m, 0, sqrt(psi)), 4)
fit_all("hetero", y, psi, X)

# 2. Between-area variance estimated as 0 by every method (residual spread well
#    below the sampling noise), 15 areas, intercept + 1 covariate.
set.seed(7)
m <- 15
X <- cbind(1, round(seq(-1, 1, length.out = m), 4))
psi <- round(runif(m, 10, 40), 4)
y <- round(as.vector(X %*% c(60, 4)) + 0.3 * sqrt(psi) * rnorm(m), 4)
fit_all("boundary", y, psi, X)
