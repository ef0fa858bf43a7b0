package fact

import "regexp"

// Canonical metrics (docs/analyses.md lists them). transform maps row
// labels to them; the analyses in sql/ select them by name.
const (
	Revenue                  = "revenue"
	CostOfRevenue            = "cost_of_revenue"
	GrossProfit              = "gross_profit"
	ResearchAndDevelopment   = "research_and_development"
	SalesAndMarketing        = "sales_and_marketing"
	GeneralAndAdministrative = "general_and_administrative"
	OperatingExpenses        = "operating_expenses"
	OperatingIncome          = "operating_income"
	NetIncome                = "net_income"
	DepreciationAmortization = "depreciation_amortization"
	Capex                    = "capex"
	AIRevenue                = "ai_revenue"
	AIRevenueTaaS            = "ai_revenue_taas"
	AIRevenueIaaS            = "ai_revenue_iaas"
	CapacityMW               = "capacity_mw"
	ServerUsefulLife         = "server_useful_life_years"
	TaxRate                  = "tax_rate"
	InvestedCapital          = "invested_capital"
	TokenShareCustomSilicon  = "token_share_custom_silicon"
)

// TotalSegment is the canonical segment of company-level rows.
const TotalSegment = "Total"

// UnitKind is the kind of unit a metric is measured in.
type UnitKind int

const (
	Money  UnitKind = iota // scaled by the sheet's scale; the unit is an ISO currency code
	MW                     // megawatts of capacity
	Years                  // a duration, such as a server's useful life
	Ratio                  // a fraction: 0.37 for 37%
	Tokens                 // a count of tokens
)

// Unit is the unit column's value for a kind; money takes its currency.
func (k UnitKind) Unit(currency string) string {
	switch k {
	case MW:
		return "MW"
	case Years:
		return "years"
	case Ratio:
		return "ratio"
	case Tokens:
		return "tokens"
	}
	return currency
}

// Metrics are the canonical metrics with the kind of unit of each, in the
// order docs/analyses.md lists them in.
var Metrics = []struct {
	Name string
	Unit UnitKind
}{
	{Revenue, Money},
	{CostOfRevenue, Money},
	{GrossProfit, Money},
	{ResearchAndDevelopment, Money},
	{SalesAndMarketing, Money},
	{GeneralAndAdministrative, Money},
	{OperatingExpenses, Money},
	{OperatingIncome, Money},
	{NetIncome, Money},
	{DepreciationAmortization, Money},
	{Capex, Money},
	{AIRevenue, Money},
	{AIRevenueTaaS, Money},
	{AIRevenueIaaS, Money},
	{CapacityMW, MW},
	{ServerUsefulLife, Years},
	{TaxRate, Ratio},
	{InvestedCapital, Money},
	{TokenShareCustomSilicon, Ratio},
}

// IsMetric reports whether m is a canonical metric name.
func IsMetric(m string) bool {
	_, ok := metricUnit(m)
	return ok
}

// MetricUnit returns the unit kind of a canonical metric; an unknown
// metric is money.
func MetricUnit(m string) UnitKind {
	k, _ := metricUnit(m)
	return k
}

// metricUnits indexes Metrics: transform looks a unit up for every value.
var metricUnits = func() map[string]UnitKind {
	m := make(map[string]UnitKind, len(Metrics))
	for _, x := range Metrics {
		m[x.Name] = x.Unit
	}
	return m
}()

func metricUnit(m string) (UnitKind, bool) {
	k, ok := metricUnits[m]
	return k, ok
}

var reCurrency = regexp.MustCompile(`^[A-Z]{3}$`)

// IsCurrency reports whether s has the form of an ISO 4217 code, such as USD.
func IsCurrency(s string) bool { return reCurrency.MatchString(s) }

// IsUnit reports whether s can be a fact's unit: a currency code, MW,
// years, ratio or tokens.
func IsUnit(s string) bool {
	switch s {
	case "MW", "years", "ratio", "tokens":
		return true
	}
	return IsCurrency(s)
}
