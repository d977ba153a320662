# Reference outputs from R MatchIt 4.5.1 (Debian r-cran-matchit) and sandwich 3.0-2 on
# MatchIt's lalonde (614 units: 185 NSW treated, 429 PSID controls), for tests/matching.
# Usage (from the repository root):
#   Rscript tests/matching/reference/make_reference_lalonde.R tests/matching/reference
# Writes lalonde.csv (the data, with id = row number - 1), lalonde_units.csv (distance,
# weights and subclass of every unit per design), lalonde_summary.csv (summary() of every
# design, all rows incl. distance and every factor level) and lalonde_effects.csv
# (g-computation ATT with cluster-robust SEs, as MatchIt's vignette).
suppressPackageStartupMessages({library(MatchIt); library(sandwich)})
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
data("lalonde", package = "MatchIt")
d <- lalonde
d$id <- seq_len(nrow(d)) - 1L
write.csv(d[c("id", setdiff(names(d), "id"))], file.path(out, "lalonde.csv"), row.names = FALSE)
f <- treat ~ age + educ + race + married + nodegree + re74 + re75

designs <- list(
  nearest = matchit(f, data = d, method = "nearest"),
  caliper = matchit(f, data = d, method = "nearest", caliper = 0.1),
  caliper_raw = matchit(f, data = d, method = "nearest", caliper = 0.02, std.caliper = FALSE),
  caliper_cov = matchit(f, data = d, method = "nearest", caliper = c(0.25, age = 5)),
  atc = matchit(f, data = d, method = "nearest", estimand = "ATC"),
  discard = matchit(f, data = d, method = "nearest", discard = "both"),
  exact = matchit(treat ~ race + married + nodegree, data = d, method = "exact"),
  exact_ate = matchit(treat ~ race + married + nodegree, data = d, method = "exact",
                      estimand = "ATE"),
  cem = matchit(treat ~ age + educ + race + married + nodegree + re74 + re75, data = d,
                method = "cem"),
  cem_cuts = matchit(treat ~ age + educ + race + married, data = d, method = "cem",
                     cutpoints = list(age = c(20, 25, 30, 40), educ = 4)),
  subclass = matchit(f, data = d, method = "subclass"),
  subclass_ate = matchit(f, data = d, method = "subclass", estimand = "ATE", subclass = 5)
)

units <- data.frame(id = d$id)
summ <- list()
tab <- function(x, design, when) data.frame(design = design, covariate = rownames(x),
  when = when, mean_treated = x[, "Means Treated"], mean_control = x[, "Means Control"],
  std_mean_diff = x[, "Std. Mean Diff."], var_ratio = x[, "Var. Ratio"],
  ecdf_mean = x[, "eCDF Mean"], ecdf_max = x[, "eCDF Max"])
for (nm in names(designs)) {
  m <- designs[[nm]]
  units[[paste0("weights_", nm)]] <- sprintf("%.17g", m$weights)
  sc <- if (is.null(m$subclass)) rep(NA, nrow(d)) else as.integer(m$subclass)
  units[[paste0("subclass_", nm)]] <- sc
  if (!is.null(m$distance)) units[[paste0("distance_", nm)]] <- sprintf("%.17g", m$distance)
  s <- summary(m, pair.dist = FALSE)
  summ[[length(summ) + 1]] <- tab(s$sum.all, nm, "before")
  if (!is.null(s$sum.matched)) summ[[length(summ) + 1]] <- tab(s$sum.matched, nm, "after")
  if (!is.null(s$sum.across)) summ[[length(summ) + 1]] <- tab(s$sum.across, nm, "after")
  nn <- s$nn
  summ[[length(summ) + 1]] <- data.frame(design = nm, covariate = paste0("nn:", rownames(nn)),
    when = "sizes", mean_treated = nn[, "Treated"], mean_control = nn[, "Control"],
    std_mean_diff = NA, var_ratio = NA, ecdf_mean = NA, ecdf_max = NA)
}
write.csv(units, file.path(out, "lalonde_units.csv"), row.names = FALSE, quote = FALSE)
summ <- do.call(rbind, summ)
num <- c("mean_treated", "mean_control", "std_mean_diff", "var_ratio", "ecdf_mean", "ecdf_max")
for (k in num) summ[[k]] <- ifelse(is.na(summ[[k]]), "NA", sprintf("%.17g", summ[[k]]))
write.csv(summ, file.path(out, "lalonde_summary.csv"), row.names = FALSE)

# G-computation as in MatchIt's vignette: lm(re78 ~ treat * (X)) with the matching weights,
# covariates centred at the (weighted) treated means so the treat coefficient is the ATT
# (= marginaleffects::avg_comparisons(newdata = treated)); vcovCL clustered by subclass (HC1).
gcomp <- function(m, nm, adjust) {
  md <- match.data(m)
  tr <- md$treat == 1
  x <- model.matrix(~ age + educ + race + married + nodegree + re74 + re75, md)[, -1]
  xc <- sweep(x, 2, colSums(x[tr, , drop = FALSE] * md$weights[tr]) / sum(md$weights[tr]))
  fit <- if (adjust) lm(md$re78 ~ md$treat * xc, weights = md$weights) else
    lm(md$re78 ~ md$treat, weights = md$weights)
  v <- vcovCL(fit, cluster = md$subclass)
  data.frame(design = nm, adjust = adjust, estimate = sprintf("%.17g", coef(fit)[2]),
             std_error = sprintf("%.17g", sqrt(v[2, 2])), n = nrow(md))
}
eff <- rbind(gcomp(designs$nearest, "nearest", TRUE), gcomp(designs$nearest, "nearest", FALSE),
             gcomp(designs$caliper, "caliper", TRUE), gcomp(designs$caliper, "caliper", FALSE),
             gcomp(designs$subclass, "subclass", TRUE), gcomp(designs$cem, "cem", TRUE))
write.csv(eff, file.path(out, "lalonde_effects.csv"), row.names = FALSE)
cat("MatchIt", as.character(packageVersion("MatchIt")), "sandwich",
    as.character(packageVersion("sandwich")), "\n")
