# Reference outputs of R's `survey` package for surveyapp.analysis.estimation.
#
# Usage (from the project root):
#   Rscript tests/analysis/r_reference/make_reference.R [output_dir]
#
# For each dataset it writes <name>.csv (the input data, numbers as %.17g so that
# Python reads exactly the same values) and <name>.json (population margins, R's
# raked weights and every estimate, standard error and interval, as %.17g).
# The datasets are generated deterministically (set.seed, R's default RNG), so a
# rerun with the same R and survey versions reproduces the committed files.

suppressPackageStartupMessages(library(survey))

args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args) >= 1) args[[1]] else {
  file_arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  if (length(file_arg)) dirname(normalizePath(sub("^--file=", "", file_arg))) else "."
}
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

# Any warning (e.g. "Raking did not converge") is an error here.
options(warn = 2)
RNGkind("Mersenne-Twister", "Inversion", "Rejection")

# ---------------------------------------------------------------------------
# A tiny JSON writer with full double precision (jsonlite stops at 15 digits).
fmt_num <- function(x) ifelse(is.na(x), "null", sprintf("%.17g", x))
fmt_str <- function(x) paste0("\"", gsub("\"", "\\\\\"", x), "\"")
to_json <- function(x) {
  if (is.list(x)) {
    if (is.null(names(x))) {
      return(paste0("[", paste(vapply(x, to_json, ""), collapse = ","), "]"))
    }
    body <- vapply(names(x), function(k) paste0(fmt_str(k), ":", to_json(x[[k]])), "")
    return(paste0("{", paste(body, collapse = ","), "}"))
  }
  as_array <- inherits(x, "AsIs") || length(x) != 1
  x <- unclass(x)
  items <- if (is.character(x)) fmt_str(x) else if (is.logical(x)) {
    ifelse(x, "true", "false")
  } else fmt_num(as.numeric(x))
  if (as_array) paste0("[", paste(items, collapse = ","), "]") else items
}

# ---------------------------------------------------------------------------
levels_of <- list(
  sex = c("f", "m"),
  age = c("18-29", "30-44", "45-64", "65+"),
  settlement = c("urban", "town", "rural")
)
sample_probs <- list(
  sex = c(0.58, 0.42),
  age = c(0.12, 0.22, 0.38, 0.28),
  settlement = c(0.45, 0.35, 0.20)
)
population_shares <- list(
  sex = c(0.52, 0.48),
  age = c(0.21, 0.26, 0.33, 0.20),
  settlement = c(0.55, 0.27, 0.18)
)

make_data <- function(n, seed) {
  set.seed(seed)
  d <- data.frame(id = seq_len(n))
  for (v in names(levels_of)) {
    d[[v]] <- sample(levels_of[[v]], n, replace = TRUE, prob = sample_probs[[v]])
  }
  d$w0 <- round(exp(rnorm(n, 0, 0.45)) * 150, 3)
  eff <- 6 * (d$sex == "f") + c(-8, -3, 2, 7)[match(d$age, levels_of$age)] +
    c(-4, 0, 5)[match(d$settlement, levels_of$settlement)]
  d$y_full <- pmin(100, pmax(0, 55 + eff + rnorm(n, 0, 18)))
  d$y <- d$y_full
  d$y[sample.int(n, max(2, round(0.08 * n)))] <- NA
  d$flag <- rbinom(n, 1, plogis(-0.3 + eff / 15))
  d$flag[sample.int(n, max(1, round(0.03 * n)))] <- NA
  groups <- sprintf("g%02d", 1:10)
  d$group <- sample(groups, n, replace = TRUE, prob = c(3, 1, 2, 1, 4, 1, 2, 0.5, 1, 2))
  d$group[n] <- "g11" # a domain with a single respondent
  d
}

datasets <- list(
  list(name = "small", n = 60, seed = 101, margins = c("sex", "age"), total = 10000),
  list(name = "medium", n = 200, seed = 202, margins = c("sex", "age", "settlement"),
       total = 48000),
  list(name = "moderate", n = 2000, seed = 303, margins = c("sex", "age", "settlement"),
       total = 250000)
)

estimate_list <- function(m, ci) {
  list(estimate = unname(coef(m))[1], se = unname(SE(m))[1],
       ci_low = unname(ci[1, 1]), ci_high = unname(ci[1, 2]))
}

# One domain's design, its degrees of freedom and a statistic that may fail on it (a domain
# with one row or only missing values): NA instead of an error or a warning.
domain_design <- function(design, g) subset(design, group == g)
or_na <- function(expr) tryCatch(suppressWarnings(expr), error = function(e) NULL)

# svymean per domain with confint(df = degf(domain)): the t interval with the domain's df
# (the degrees of freedom svyby gives each domain's statistic).
domains_t <- function(design) {
  groups <- sort(unique(as.character(design$variables$group)))
  rows <- lapply(groups, function(g) {
    d <- domain_design(design, g)
    df <- degf(d)
    m <- or_na(svymean(~y, d, na.rm = TRUE))
    ci <- if (is.null(m) || df < 1) c(NA, NA) else or_na(confint(m, df = df))
    if (is.null(ci)) ci <- c(NA, NA)
    c(df = df, ci_low = unname(ci[1]), ci_high = unname(ci[2]))
  })
  list(group = I(groups), df = I(vapply(rows, function(r) r[["df"]], 0)),
       ci_low = I(vapply(rows, function(r) r[["ci_low"]], 0)),
       ci_high = I(vapply(rows, function(r) r[["ci_high"]], 0)))
}

# svyby(~flag, ~group, design, svyciprop, method = "logit"), domain by domain (so that a
# domain where it fails gives NA): svyby passes svyciprop the domain's subset, whose
# degf is its own number of rows minus 1.
domains_ciprop <- function(design) {
  groups <- sort(unique(as.character(design$variables$group)))
  rows <- lapply(groups, function(g) {
    d <- domain_design(design, g)
    p <- or_na(svyciprop(~flag, d, method = "logit", na.rm = TRUE))
    ci <- if (is.null(p)) c(NA, NA) else unname(attr(p, "ci"))
    c(df = degf(d), ci_low = ci[1], ci_high = ci[2])
  })
  list(group = I(groups), df = I(vapply(rows, function(r) r[["df"]], 0)),
       ci_low = I(vapply(rows, function(r) r[["ci_low"]], 0)),
       ci_high = I(vapply(rows, function(r) r[["ci_high"]], 0)))
}

# The difference of each domain's mean of y from the mean of a domain containing it (its
# "whole": supergroup A = g01-g05, B = the other groups; or everyone), by the delta method
# on the four totals: svycontrast(svytotal(...), quote(yu/nu - yh/nh)).
whole_of <- function(group, kind) {
  if (kind == "country") return(rep("all", length(group)))
  ifelse(group %in% sprintf("g%02d", 1:5), "A", "B")
}
nested_differences <- function(design, kind) {
  v <- design$variables
  observed <- !is.na(v$y)
  whole <- whole_of(as.character(v$group), kind)
  groups <- sort(unique(as.character(v$group[observed])))
  rows <- lapply(groups, function(g) {
    h <- whole[v$group == g][1]
    in_u <- observed & v$group == g
    in_h <- observed & whole == h
    d <- update(design, yu = ifelse(in_u, v$y, 0), nu = as.numeric(in_u),
                yh = ifelse(in_h, v$y, 0), nh = as.numeric(in_h))
    contrast <- svycontrast(svytotal(~yu + nu + yh + nh, d), quote(yu / nu - yh / nh))
    c(difference = unname(coef(contrast)), se = unname(SE(contrast)))
  })
  list(group = I(groups), whole = I(vapply(groups, function(g) whole[v$group == g][1], "")),
       difference = I(vapply(rows, function(r) r[["difference"]], 0)),
       se = I(vapply(rows, function(r) r[["se"]], 0)))
}

estimates <- function(design) {
  out <- list()
  for (v in c("y", "y_full")) {
    m <- svymean(as.formula(paste0("~", v)), design, na.rm = TRUE)
    out[[paste0("mean_", v)]] <- estimate_list(m, confint(m))
  }
  for (v in c("y", "y_full")) {
    b <- svyby(as.formula(paste0("~", v)), ~group, design, svymean, na.rm = TRUE)
    ci <- confint(b)
    out[[paste0("by_", v)]] <- list(
      group = I(as.character(b$group)), estimate = I(unname(coef(b))),
      se = I(unname(SE(b))), ci_low = I(unname(ci[, 1])), ci_high = I(unname(ci[, 2]))
    )
  }
  out$by_y_t <- domains_t(design)
  out$by_ciprop_flag <- domains_ciprop(design)
  out$nested_y <- nested_differences(design, "supergroup")
  out$country_y <- nested_differences(design, "country")
  m <- svymean(~flag, design, na.rm = TRUE)
  out$mean_flag <- estimate_list(m, confint(m))
  p <- svyciprop(~flag, design, method = "logit", na.rm = TRUE)
  out$ciprop_flag <- list(
    estimate = unname(unclass(p))[1], se = sqrt(unname(attr(p, "var"))[1]),
    ci_low = unname(attr(p, "ci"))[1], ci_high = unname(attr(p, "ci"))[2],
    df = degf(design)
  )
  out
}

for (spec in datasets) {
  d <- make_data(spec$n, spec$seed)
  for (v in spec$margins) stopifnot(all(levels_of[[v]] %in% d[[v]]))
  stopifnot(sum(d$group == "g11") == 1)

  population <- lapply(spec$margins, function(v) {
    p <- data.frame(levels_of[[v]], spec$total * population_shares[[v]])
    names(p) <- c(v, "Freq")
    p
  })
  names(population) <- spec$margins

  plain <- svydesign(ids = ~1, weights = ~w0, data = d)
  raked <- rake(plain, lapply(spec$margins, function(v) as.formula(paste0("~", v))),
                unname(population), control = list(maxit = 1000, epsilon = 1e-12))

  csv <- d
  for (v in c("w0", "y_full", "y", "flag")) csv[[v]] <- ifelse(is.na(d[[v]]), "", fmt_num(d[[v]]))
  write.csv(csv, file.path(out_dir, paste0(spec$name, ".csv")), row.names = FALSE, quote = FALSE,
            na = "")

  result <- list(
    name = spec$name,
    r_version = R.version.string,
    survey_version = as.character(packageVersion("survey")),
    n = nrow(d),
    margins = I(spec$margins),
    population = lapply(population, function(p) {
      x <- as.list(p$Freq)
      names(x) <- as.character(p[[1]])
      x
    }),
    rake_control = list(maxit = 1000, epsilon = 1e-12),
    raked_weights = I(unname(weights(raked))),
    plain = estimates(plain),
    raked = estimates(raked)
  )
  writeLines(to_json(result), file.path(out_dir, paste0(spec$name, ".json")))
}
