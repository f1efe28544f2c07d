# Reference outputs of R's `survey` package for complex designs in
# surveyapp.analysis.estimation (stratified and clustered designs, raking on top,
# replicate weights).
#
# Usage (from the project root):
#   Rscript tests/analysis/r_reference/make_design_reference.R [output_dir]
#
# For each of the survey package's own samples of the California API data
# (data(api): apistrat, apiclus1, apiclus2) it writes
#   design_<name>.csv             the input rows (numbers as %.17g)
#   design_<name>_replicates.csv  replicate weights (jackknife and bootstrap)
#   design_<name>.json            every estimate, SE, interval and degrees of freedom
# Deterministic (set.seed for the bootstrap): a rerun with the same R and survey
# versions reproduces the committed files byte for byte.

suppressPackageStartupMessages(library(survey))

args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args) >= 1) args[[1]] else {
  file_arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  if (length(file_arg)) dirname(normalizePath(sub("^--file=", "", file_arg))) else "."
}
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
options(warn = 2, survey.lonely.psu = "fail")
RNGkind("Mersenne-Twister", "Inversion", "Rejection")

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
  if (is.null(x)) return("null")
  as_array <- inherits(x, "AsIs") || length(x) != 1
  x <- unclass(x)
  items <- if (is.character(x)) fmt_str(x) else if (is.logical(x)) {
    ifelse(x, "true", "false")
  } else fmt_num(as.numeric(x))
  if (as_array) paste0("[", paste(items, collapse = ","), "]") else items
}

data(api)
# Raking margins: school type and "met both growth targets"; population totals from the
# population file apipop that the samples were drawn from.
pop_stype <- as.data.frame(table(stype = apipop$stype), responseName = "Freq")
pop_both <- as.data.frame(table(both = apipop$both), responseName = "Freq")
population <- list(stype = pop_stype, both = pop_both)

prepare <- function(d) {
  data.frame(
    id = seq_len(nrow(d)),
    stype = as.character(d$stype),
    both = as.character(d$both),
    county = as.character(d$cname),
    dnum = d$dnum,
    pw = d$pw,
    fpc = if (!is.null(d$fpc1)) d$fpc1 else d$fpc,
    api00 = d$api00,
    enroll = d$enroll,
    flag = as.numeric(d$sch.wide == "Yes"),
    stringsAsFactors = FALSE
  )
}

specs <- list(
  list(name = "apistrat", data = apistrat, ids = ~1, strata = ~stype, jackknife = "JKn"),
  list(name = "apiclus1", data = apiclus1, ids = ~dnum, strata = NULL, jackknife = "JK1"),
  list(name = "apiclus2", data = apiclus2, ids = ~dnum, strata = NULL, jackknife = "JK1")
)

estimate_list <- function(m, ci) {
  list(estimate = unname(coef(m))[1], se = unname(SE(m))[1],
       ci_low = unname(ci[1, 1]), ci_high = unname(ci[1, 2]))
}
or_na <- function(expr) tryCatch(suppressWarnings(expr), error = function(e) NULL)
domain <- function(design, by, g) design[design$variables[[by]] == g, ]
groups_of <- function(design, by) sort(unique(design$variables[[by]]))
column <- function(rows, key) I(vapply(rows, function(r) unname(r[[key]]), 0))

# svyby(~v, ~by, design, svymean, na.rm = TRUE) with its (normal) confint.
by_mean <- function(design, v, by) {
  b <- svyby(as.formula(paste0("~", v)), as.formula(paste0("~", by)), design, svymean,
             na.rm = TRUE)
  ci <- confint(b)
  list(group = I(as.character(b[[by]])), estimate = I(unname(coef(b))),
       se = I(unname(SE(b))), ci_low = I(unname(ci[, 1])), ci_high = I(unname(ci[, 2])))
}

# Per domain d: confint(svymean(~v, d), df = degf(d)).
by_t <- function(design, v, by) {
  groups <- groups_of(design, by)
  rows <- lapply(groups, function(g) {
    d <- domain(design, by, g)
    df <- degf(d)
    m <- or_na(svymean(as.formula(paste0("~", v)), d, na.rm = TRUE))
    ci <- if (is.null(m) || df < 1) c(NA, NA) else or_na(confint(m, df = df))
    if (is.null(ci)) ci <- c(NA, NA)
    c(df = df, ci_low = unname(ci[1]), ci_high = unname(ci[2]))
  })
  list(group = I(groups), df = column(rows, "df"), ci_low = column(rows, "ci_low"),
       ci_high = column(rows, "ci_high"))
}

# Per domain d: svyciprop(~flag, d, method = "logit") (what svyby(svyciprop) computes).
by_ciprop <- function(design, by) {
  groups <- groups_of(design, by)
  rows <- lapply(groups, function(g) {
    d <- domain(design, by, g)
    p <- or_na(svyciprop(~flag, d, method = "logit", na.rm = TRUE))
    ci <- if (is.null(p)) c(NA, NA) else unname(attr(p, "ci"))
    c(df = degf(d), ci_low = ci[1], ci_high = ci[2])
  })
  list(group = I(groups), df = column(rows, "df"), ci_low = column(rows, "ci_low"),
       ci_high = column(rows, "ci_high"))
}

# Difference of each domain's mean from the overall mean (svycontrast of totals).
country_differences <- function(design, v, by) {
  x <- design$variables
  observed <- !is.na(x[[v]])
  groups <- sort(unique(x[[by]][observed]))
  rows <- lapply(groups, function(g) {
    in_u <- observed & x[[by]] == g
    d <- update(design, yu = ifelse(in_u, x[[v]], 0), nu = as.numeric(in_u),
                yh = ifelse(observed, x[[v]], 0), nh = as.numeric(observed))
    contrast <- svycontrast(svytotal(~yu + nu + yh + nh, d), quote(yu / nu - yh / nh))
    c(difference = unname(coef(contrast)), se = unname(SE(contrast)))
  })
  list(group = I(groups), difference = column(rows, "difference"), se = column(rows, "se"))
}

estimates <- function(design) {
  out <- list(degf = degf(design))
  for (v in c("api00", "enroll")) {
    m <- svymean(as.formula(paste0("~", v)), design, na.rm = TRUE)
    out[[paste0("mean_", v)]] <- estimate_list(m, confint(m))
    for (by in c("stype", "county")) {
      out[[paste0("by_", v, "_", by)]] <- by_mean(design, v, by)
      out[[paste0("by_t_", v, "_", by)]] <- by_t(design, v, by)
    }
  }
  m <- svymean(~flag, design, na.rm = TRUE)
  out$mean_flag <- estimate_list(m, confint(m))
  p <- svyciprop(~flag, design, method = "logit", na.rm = TRUE)
  out$ciprop_flag <- list(
    estimate = unname(unclass(p))[1], se = sqrt(unname(attr(p, "var"))[1]),
    ci_low = unname(attr(p, "ci"))[1], ci_high = unname(attr(p, "ci"))[2],
    df = degf(design)
  )
  for (by in c("stype", "county")) out[[paste0("by_ciprop_", by)]] <- by_ciprop(design, by)
  out$country_api00_stype <- country_differences(design, "api00", "stype")
  out$country_enroll_county <- country_differences(design, "enroll", "county")
  out
}

# A domain that a replicate leaves empty has no estimate in that replicate: R drops it
# from the variance with a warning (the only warning allowed here).
dropping_na_replicates <- function(expr) {
  withCallingHandlers(expr, warning = function(w) {
    if (grepl("replicates gave NA", conditionMessage(w))) invokeRestart("muffleWarning")
  })
}

rake_design <- function(design) {
  rake(design, list(~stype, ~both), unname(population),
       control = list(maxit = 1000, epsilon = 1e-12))
}

write_numbers <- function(frame, path) {
  for (v in names(frame)) {
    if (is.numeric(frame[[v]])) frame[[v]] <- ifelse(is.na(frame[[v]]), "", fmt_num(frame[[v]]))
  }
  write.csv(frame, path, row.names = FALSE, quote = FALSE, na = "")
}

for (spec in specs) {
  d <- prepare(spec$data)
  stopifnot(!any(grepl(",", d$county)))
  designs <- list(
    fpc = svydesign(ids = spec$ids, strata = spec$strata, weights = ~pw, fpc = ~fpc, data = d),
    nofpc = svydesign(ids = spec$ids, strata = spec$strata, weights = ~pw, data = d)
  )
  result <- list(
    name = spec$name,
    r_version = R.version.string,
    survey_version = as.character(packageVersion("survey")),
    n = nrow(d),
    strata = if (is.null(spec$strata)) NULL else "stype",
    psu = if (identical(spec$ids, ~1)) NULL else "dnum",
    margins = I(c("stype", "both")),
    population = lapply(population, function(p) {
      x <- as.list(p$Freq)
      names(x) <- as.character(p[[1]])
      x
    }),
    rake_control = list(maxit = 1000, epsilon = 1e-12)
  )
  for (fpc in names(designs)) {
    plain <- designs[[fpc]]
    raked <- rake_design(plain)
    result[[fpc]] <- list(
      raked_weights = I(unname(weights(raked))),
      plain = estimates(plain),
      raked = estimates(raked)
    )
  }

  # Replicate weights of the design with fpc, written out as an agency would deliver them,
  # then read back through svrepdesign (the design the Python side rebuilds).
  jackknife <- as.svrepdesign(designs$fpc, type = spec$jackknife, compress = FALSE)
  set.seed(20261202)
  bootstrap <- as.svrepdesign(designs$fpc, type = "bootstrap", replicates = 50,
                              compress = FALSE)
  jk <- as.matrix(unclass(weights(jackknife, "analysis")))
  bs <- as.matrix(unclass(weights(bootstrap, "analysis")))
  colnames(jk) <- sprintf("jk_%03d", seq_len(ncol(jk)))
  colnames(bs) <- sprintf("bs_%03d", seq_len(ncol(bs)))
  replicates <- data.frame(jk, bs)
  write_numbers(replicates, file.path(out_dir, paste0("design_", spec$name, "_replicates.csv")))
  both <- cbind(d, replicates)
  replicate_specs <- list(
    jackknife = list(kind = spec$jackknife, columns = "^jk_", source = jackknife, mse = FALSE),
    bootstrap = list(kind = "bootstrap", columns = "^bs_", source = bootstrap, mse = FALSE),
    bootstrap_mse = list(kind = "bootstrap", columns = "^bs_", source = bootstrap, mse = TRUE)
  )
  for (key in names(replicate_specs)) {
    r <- replicate_specs[[key]]
    delivered <- svrepdesign(data = both, repweights = r$columns, weights = ~pw,
                             type = r$kind, scale = r$source$scale,
                             rscales = r$source$rscales, combined.weights = TRUE, mse = r$mse)
    result[[key]] <- list(
      kind = r$kind, scale = r$source$scale, rscales = I(unname(r$source$rscales)),
      mse = r$mse, estimates = dropping_na_replicates(estimates(delivered))
    )
  }
  write_numbers(d, file.path(out_dir, paste0("design_", spec$name, ".csv")))
  writeLines(to_json(result), file.path(out_dir, paste0("design_", spec$name, ".json")))
}
