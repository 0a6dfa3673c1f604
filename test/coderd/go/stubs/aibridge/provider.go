package aibridge

import "github.com/coder/aibridge/config"

// Provider names, as aibridgeproxyd maps upstream hosts to them.
const (
	ProviderAnthropic = "anthropic"
	ProviderOpenAI    = "openai"
	ProviderCopilot   = "copilot"
)

// Provider is an upstream AI API; here it only carries its name.
type Provider interface {
	Name() string
}

// OpenAIConfig has the fields coderd's server command sets.
type OpenAIConfig struct {
	BaseURL          string
	Key              string
	CircuitBreaker   *config.CircuitBreaker
	SendActorHeaders bool
}

// AnthropicConfig has the fields coderd's server command sets.
type AnthropicConfig struct {
	BaseURL          string
	Key              string
	CircuitBreaker   *config.CircuitBreaker
	SendActorHeaders bool
}

// CopilotConfig has the fields coderd's server command sets.
type CopilotConfig struct {
	CircuitBreaker *config.CircuitBreaker
}

// AWSBedrockConfig has the fields coderd's server command sets.
type AWSBedrockConfig struct {
	BaseURL         string
	Region          string
	AccessKey       string
	AccessKeySecret string
	Model           string
	SmallFastModel  string
}

type namedProvider string

func (p namedProvider) Name() string { return string(p) }

// NewOpenAIProvider names the provider; it never talks to OpenAI.
func NewOpenAIProvider(OpenAIConfig) Provider { return namedProvider(ProviderOpenAI) }

// NewAnthropicProvider names the provider; it never talks to Anthropic.
func NewAnthropicProvider(AnthropicConfig, *AWSBedrockConfig) Provider {
	return namedProvider(ProviderAnthropic)
}

// NewCopilotProvider names the provider; it never talks to Copilot.
func NewCopilotProvider(CopilotConfig) Provider { return namedProvider(ProviderCopilot) }
